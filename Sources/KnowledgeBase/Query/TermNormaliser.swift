import Foundation

/// Words as people and runbooks write them, reduced to comparable forms: lower case, identifiers split at case
/// changes (`KubeHpaMaxedOut` → kube hpa maxed out), common abbreviations expanded (HPA → horizontal pod
/// autoscaler), and a light suffix stem (`losing`, `lose` → `los`; `configured` → `configur`).
///
/// Used where exact words fail on real phrasing: the refusal rule's term coverage, and a question that names a
/// runbook in words rather than by its alert name ("the HPA is maxed out" for `KubeHpaMaxedOut`).
enum TermNormaliser {
    /// Abbreviations on-call engineers and runbooks use, with their long forms.
    static let abbreviations: [String: [String]] = [
        "hpa": ["horizontal", "pod", "autoscaler"], "vpa": ["vertical", "pod", "autoscaler"],
        "pvc": ["persistent", "volume", "claim"], "pv": ["persistent", "volume"],
        "osd": ["object", "storage", "daemon"], "mgr": ["manager"], "mon": ["monitor"],
        "api": ["apiserver"], "apiserver": ["api", "server"], "k8s": ["kubernetes"], "kube": ["kubernetes"],
        "oom": ["out", "memory"], "ntp": ["network", "time", "protocol"], "crd": ["custom", "resource", "definition"],
        "vm": ["virtual", "machine"], "vmi": ["virtual", "machine", "instance"], "pdb": ["pod", "disruption", "budget"],
        "ns": ["namespace"], "svc": ["service"], "ds": ["daemonset"], "sts": ["statefulset"], "cert": ["certificate"],
        "certs": ["certificates"], "lb": ["load", "balancer"], "mem": ["memory"], "fs": ["filesystem"],
        "db": ["database"], "config": ["configuration"], "repl": ["replication"], "mcp": ["machine", "config", "pool"],
        "odf": ["openshift", "data", "foundation"], "ocs": ["openshift", "container", "storage"],
        "nic": ["network", "interface"],
    ]

    /// Lower-cased words of `text`, identifiers also split at case changes, `_`, `-` and `.` (both the whole and
    /// the parts are returned).
    ///
    /// It runs over every word of the best hits of each query, so ASCII text (nearly every runbook) is cut on its
    /// bytes; other text goes by Characters, where a letter and its combining marks are one.
    static func words(_ text: String) -> [String] {
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return wordsByCharacter(text) }
        var result: [String] = []
        var token: [UInt8] = []
        func emit() {
            defer { token.removeAll(keepingCapacity: true) }
            var start = 0
            var end = token.count
            while start < end, isJoiner(token[start]) { start += 1 }
            while end > start, isJoiner(token[end - 1]) { end -= 1 }
            guard start < end else { return }
            var parts: [String] = []
            var piece = start
            for index in start...end where index == end || isJoiner(token[index]) {
                if piece < index { parts += camelParts(token[piece..<index]) }
                piece = index + 1
            }
            let whole = lowered(token[start..<end])
            if parts.count > 1 || parts.first != whole { result.append(whole) }
            result.append(contentsOf: parts)
        }
        for byte in text.utf8 {
            if isLetterOrDigit(byte) || isJoiner(byte) {
                token.append(byte)
            } else if !token.isEmpty {
                emit()
            }
        }
        if !token.isEmpty { emit() }
        return result
    }

    /// `KubeAPIDown` → kube, api, down; `etcdHighFsyncDurations` → etcd, high, fsync, durations (lower-cased).
    static func camelParts(_ word: Substring) -> [String] {
        guard word.utf8.allSatisfy({ $0 < 0x80 }) else { return camelPartsByCharacter(word) }
        return camelParts(Array(word.utf8)[...])
    }

    private static func camelParts(_ bytes: ArraySlice<UInt8>) -> [String] {
        var parts: [String] = []
        var start = bytes.startIndex
        for index in bytes.indices.dropFirst() where isUpper(bytes[index]) {
            let previous = bytes[index - 1]
            let nextIsLower = index + 1 < bytes.endIndex && isLower(bytes[index + 1])
            if isLower(previous) || isDigit(previous) || (isUpper(previous) && nextIsLower) {
                if start < index { parts.append(lowered(bytes[start..<index])) }
                start = index
            }
        }
        if start < bytes.endIndex { parts.append(lowered(bytes[start...])) }
        return parts
    }

    private static func isJoiner(_ byte: UInt8) -> Bool { byte == 0x5F || byte == 0x2D || byte == 0x2E }
    private static func isUpper(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) }
    private static func isLower(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) }
    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
    private static func isLetterOrDigit(_ byte: UInt8) -> Bool { isUpper(byte) || isLower(byte) || isDigit(byte) }

    private static func lowered(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.map { isUpper($0) ? $0 + 32 : $0 }, as: UTF8.self)
    }

    /// `words` for text with non-ASCII characters.
    static func wordsByCharacter(_ text: String) -> [String] {
        var result: [String] = []
        for token in text.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") }) {
            let trimmed = token.trimmingCharacters(in: CharacterSet(charactersIn: "._-"))
            guard !trimmed.isEmpty else { continue }
            let parts = trimmed.split(whereSeparator: { $0 == "_" || $0 == "-" || $0 == "." }).flatMap(camelParts)
            let whole = trimmed.lowercased()
            if parts.count > 1 || parts.first != whole { result.append(whole) }
            result.append(contentsOf: parts)
        }
        return result
    }

    /// `camelParts` for a word with non-ASCII characters.
    static func camelPartsByCharacter(_ word: Substring) -> [String] {
        let characters = Array(word)
        var parts: [String] = []
        var current = ""
        for (index, character) in characters.enumerated() {
            if index > 0, character.isUppercase {
                let previous = characters[index - 1]
                let nextIsLower = index + 1 < characters.count && characters[index + 1].isLowercase
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && nextIsLower) {
                    parts.append(current)
                    current = ""
                }
            }
            current.append(character)
        }
        if !current.isEmpty { parts.append(current) }
        return parts.filter { !$0.isEmpty }.map { $0.lowercased() }
    }

    /// A light stem: common English suffixes cut so that inflections compare equal (never below 3 letters).
    static func stem(_ word: String) -> String {
        var bytes = Array(word.utf8)
        // Letters are counted as characters for the 3-letter floor; other scripts keep the String path's result.
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return stemUnicode(word) }
        for (suffix, bytesOfSuffix) in zip(suffixes, suffixBytes)
        where bytes.count - bytesOfSuffix.count >= 3 && bytes.suffix(bytesOfSuffix.count).elementsEqual(bytesOfSuffix) {
            bytes.removeLast(bytesOfSuffix.count)
            if suffix == "ies" || suffix == "ied" { bytes.append(UInt8(ascii: "y")) }
            break
        }
        // "stopped" → "stopp" → "stop": a doubled final consonant left by -ed/-ing.
        if bytes.count >= 4, let last = bytes.last, bytes[bytes.count - 2] == last, !keptDoubles.utf8.contains(last) {
            bytes.removeLast()
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Suffixes `stem` cuts, the first that fits; a final letter doubled before them is undone unless it is one of
    /// `keptDoubles`.
    private static let suffixes = ["ations", "ation", "ings", "ing", "ers", "er", "ies", "ied", "ed", "es", "ly", "s",
                                   "e"]
    private static let suffixBytes = suffixes.map { Array($0.utf8) }
    private static let keptDoubles = "aeiouls"

    private static func stemUnicode(_ word: String) -> String {
        var stem = word
        for suffix in suffixes {
            guard stem.count - suffix.count >= 3, stem.hasSuffix(suffix) else { continue }
            stem.removeLast(suffix.count)
            if suffix == "ies" || suffix == "ied" { stem += "y" }
            break
        }
        if stem.count >= 4, let last = stem.last, stem.dropLast().last == last, !keptDoubles.contains(last) {
            stem.removeLast()
        }
        return stem
    }

    /// True when every word of `phrase` (a query term: one word, or an identifier's parts) is in `known` as a stem,
    /// or through its abbreviation's long form.
    static func covered(_ phrase: String, known: Set<String>) -> Bool {
        phrase.split(separator: " ").allSatisfy { part in
            let word = String(part)
            if known.contains(stem(word)) { return true }
            guard let long = abbreviations[word] else { return false }
            return long.allSatisfy { known.contains(stem($0)) }
        }
    }

    /// True when `question` (its `concepts`) names the runbook whose file is at `path` in words: the file name's
    /// words (`KubeHpaMaxedOut` → hpa, maxed; stop words and a leading kube/kubernetes left out), at least two, all
    /// occur in the question as stems or through an abbreviation ("the HPA is maxed out").
    static func names(path: String, question concepts: Set<String>) -> Bool {
        let file = path.lastIndex(of: "/").map { path[path.index(after: $0)...] } ?? path[...]
        let name = file.lastIndex(of: ".").map { file[..<$0] } ?? file
        var words = name.split(whereSeparator: { $0 == "_" || $0 == "-" || $0 == "." || $0 == " " })
            .flatMap(camelParts).filter { !HashEmbedder.stopWords.contains($0) }
        if let first = words.first, ["kube", "kubernetes", "k8s"].contains(first) { words.removeFirst() }
        guard words.count >= 2 else { return false }
        return words.allSatisfy { word in
            if concepts.contains(stem(word)) { return true }
            guard let long = abbreviations[word] else { return false }
            return long.allSatisfy { concepts.contains(stem($0)) }
        }
    }

    /// The stems `words` stand for: each word's own stem, and the stems of its abbreviation's long form.
    static func concepts(_ words: some Sequence<String>) -> Set<String> {
        var result = Set<String>()
        for word in words {
            result.insert(stem(word))
            for long in abbreviations[word] ?? [] { result.insert(stem(long)) }
        }
        return result
    }
}
