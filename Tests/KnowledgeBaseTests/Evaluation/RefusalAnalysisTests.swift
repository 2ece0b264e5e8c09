import Testing
@testable import KnowledgeBase

struct RefusalAnalysisTests {
    let separable: [(answerable: Bool, topScore: Float?)] = [(true, 0.5), (true, 0.6), (true, 0.4), (false, 0.2), (false, 0.3)]

    @Test func aThresholdBetweenTheGroupsRefusesExactlyTheUnanswerable() {
        let analysis = RefusalAnalysis(separable, minScore: 0.35)
        #expect(analysis.refused == 2 && analysis.correctRefusals == 2 && analysis.answerableRefused == 0)
        #expect(analysis.precision == 1 && analysis.recall == 1)
        #expect(analysis.suggestedMinScore == 0.35)
    }

    @Test func aThresholdTooHighAlsoRefusesAnswerableQuestions() {
        let analysis = RefusalAnalysis(separable, minScore: 0.45)
        #expect(analysis.refused == 3 && analysis.answerableRefused == 1)
        #expect(abs(analysis.precision! - 2.0 / 3) < 1e-9)
        #expect(analysis.recall == 1)
    }

    @Test func aThresholdTooLowRefusesNothingAndPrecisionIsUndefined() {
        let analysis = RefusalAnalysis(separable, minScore: 0.1)
        #expect(analysis.refused == 0 && analysis.precision == nil && analysis.recall == 0)
    }

    @Test func overlappingGroupsPickTheBestBalancedAccuracyThenTheWidestGap() {
        // 0.175 and 0.4 both reach balanced accuracy 0.75; 0.4 sits in the wider gap (0.3 … 0.5).
        let analysis = RefusalAnalysis([(true, 0.5), (true, 0.25), (false, 0.3), (false, 0.1)], minScore: 0.25)
        #expect(analysis.suggestedMinScore == 0.4)
    }

    @Test func aQuestionWithNoHitIsRefusedAndOneGroupAloneSuggestsNothing() {
        let analysis = RefusalAnalysis([(false, nil), (true, 0.9)], minScore: 0.2)
        #expect(analysis.refused == 1 && analysis.precision == 1)
        #expect(RefusalAnalysis([(true, 0.5), (true, 0.2)], minScore: 0.3).suggestedMinScore == nil)
        #expect(RefusalAnalysis([(true, 0.5)], minScore: 0.3).recall == nil)
    }
}
