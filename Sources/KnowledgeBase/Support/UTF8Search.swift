extension Substring {
    /// Where `pattern` first starts, found on the UTF-8 bytes (no Character walking). `pattern` must begin and end
    /// with ASCII bytes, so a match always lies on Character boundaries (e.g. " › ", the heading path separator).
    func firstIndex(ofUTF8 pattern: [UInt8]) -> Index? {
        let bytes = utf8
        guard let first = pattern.first else { return nil }
        var from = bytes.startIndex
        while let found = bytes[from...].firstIndex(of: first) {
            if bytes[found...].starts(with: pattern) { return found }
            from = bytes.index(after: found)
        }
        return nil
    }

    /// Where `pattern` last starts; the same conditions as `firstIndex(ofUTF8:)`.
    func lastIndex(ofUTF8 pattern: [UInt8]) -> Index? {
        let bytes = utf8
        guard let first = pattern.first else { return nil }
        var end = bytes.endIndex
        while let found = bytes[..<end].lastIndex(of: first) {
            if bytes[found...].starts(with: pattern) { return found }
            end = found
        }
        return nil
    }
}
