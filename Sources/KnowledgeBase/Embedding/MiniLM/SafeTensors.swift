import Foundation

/// A safetensors file, validated: an 8-byte little-endian header length, a JSON header naming each tensor's
/// dtype, shape and byte range, then the tensor bytes.
///
/// Every range must lie inside the file, match its dtype and shape exactly, and not overlap another; a file
/// cut short, a header that is not JSON, or a tensor of the wrong size is rejected with what was expected and
/// what was found.
struct SafeTensors {
    /// One tensor's entry in the header.
    struct TensorInfo: Equatable {
        var dtype: String
        var shape: [Int]
        /// Byte range within the data section (after the header).
        var offsets: Range<Int>
    }

    static let dtypeSizes: [String: Int] = [
        "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
        "U16": 2, "U32": 4, "U64": 8, "F8_E4M3": 1, "F8_E5M2": 1,
    ]
    /// Headers are a few kilobytes; anything near this is not a safetensors file.
    static let maxHeaderBytes = 100_000_000

    let source: String
    let tensors: [String: TensorInfo]
    private let bytes: Bytes
    private let dataStart: Int

    /// Where the tensor bytes are read from: the file itself (read straight into place, so loading never holds
    /// two copies of the 91 MB), or memory.
    private enum Bytes {
        case file(FileHandle)
        case memory(Data)
    }

    /// Reads and validates the header of the file at `url`; the tensors are read by `copyFloats`.
    ///
    /// - Throws: `MiniLMError.modelMissing` when it cannot be opened, `.corruptWeights` when it is not valid.
    init(url: URL) throws {
        guard let handle = try? FileHandle(forReadingFrom: url), let size = try? handle.seekToEnd() else {
            throw MiniLMError.modelMissing(directory: url.deletingLastPathComponent().path, file: url.lastPathComponent)
        }
        let prefix = (try? handle.seek(toOffset: 0)).flatMap { try? handle.read(upToCount: 8) } ?? Data()
        var header = Data()
        if prefix.count == 8 {
            let length = Self.headerLength(prefix)
            if length <= UInt64(Self.maxHeaderBytes) { header = (try? handle.read(upToCount: Int(length))) ?? Data() }
        }
        try self.init(header: prefix + header, fileSize: Int(size), bytes: .file(handle), source: url.path)
    }

    /// Validates `data`, a whole safetensors file in memory; `source` names it in errors.
    init(data: Data, source: String) throws {
        try self.init(header: data, fileSize: data.count, bytes: .memory(Data(data)), source: source)
    }

    private static func headerLength(_ prefix: Data) -> UInt64 {
        prefix.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }

    // `data` holds at least the length field and header (or as much of them as the file has).
    private init(header data: Data, fileSize: Int, bytes: Bytes, source: String) throws {
        func corrupt(_ reason: String) -> MiniLMError { .corruptWeights(file: source, reason: reason) }
        let data = Data(data)  // indices from 0
        guard fileSize >= 8, data.count >= 8 else {
            throw corrupt("it has \(fileSize) bytes, fewer than the 8-byte header length (truncated or empty)")
        }
        let headerLength = Self.headerLength(data)
        guard headerLength >= 2, headerLength <= UInt64(Self.maxHeaderBytes) else {
            throw corrupt("the header length field says \(headerLength) bytes; expected a JSON header of 2 to "
                + "\(Self.maxHeaderBytes) bytes")
        }
        let headerEnd = 8 + Int(headerLength)
        guard headerEnd <= fileSize, headerEnd <= data.count else {
            throw corrupt("the header should take \(headerLength) bytes but only \(fileSize - 8) follow (truncated)")
        }
        let header = data[8..<headerEnd]
        guard let json = try? JSONSerialization.jsonObject(with: header), let entries = json as? [String: Any] else {
            throw corrupt("the \(headerLength)-byte header is not a JSON object")
        }
        let dataSize = fileSize - headerEnd
        var tensors: [String: TensorInfo] = [:]
        for (name, value) in entries where name != "__metadata__" {
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = (entry["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  let offsets = (entry["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  shape.count == (entry["shape"] as? [Any])?.count, offsets.count == 2
            else {
                throw corrupt("the header entry of tensor \"\(name)\" lacks a dtype, shape or pair of data_offsets")
            }
            guard let width = Self.dtypeSizes[dtype] else {
                throw corrupt("tensor \"\(name)\" has unknown dtype \(dtype)")
            }
            guard shape.allSatisfy({ $0 >= 0 && $0 < 1 << 31 }) else {
                throw corrupt("tensor \"\(name)\" has an invalid shape \(shape)")
            }
            guard offsets[0] >= 0, offsets[0] <= offsets[1] else {
                throw corrupt("tensor \"\(name)\" has data_offsets \(offsets), which do not form a range")
            }
            guard offsets[1] <= dataSize else {
                throw corrupt("tensor \"\(name)\" ends at byte \(offsets[1]) of the data, but the file holds only "
                    + "\(dataSize) bytes of data (truncated)")
            }
            // Each dimension is below 2^31, but their product need not fit in an Int: multiply with a check.
            var product: Int? = width
            for dimension in shape {
                guard let soFar = product else { break }
                let (next, overflow) = soFar.multipliedReportingOverflow(by: dimension)
                product = overflow ? nil : next
            }
            guard let expected = product else {
                throw corrupt("tensor \"\(name)\" has shape \(shape), whose size in bytes does not fit in 64 bits")
            }
            guard offsets[1] - offsets[0] == expected else {
                throw corrupt("tensor \"\(name)\" (\(dtype), shape \(shape)) needs \(expected) bytes but its "
                    + "data_offsets span \(offsets[1] - offsets[0])")
            }
            tensors[name] = TensorInfo(dtype: dtype, shape: shape, offsets: offsets[0]..<offsets[1])
        }
        let sorted = tensors.sorted { $0.value.offsets.lowerBound < $1.value.offsets.lowerBound }
        for (previous, next) in zip(sorted, sorted.dropFirst())
        where previous.value.offsets.upperBound > next.value.offsets.lowerBound {
            throw corrupt("tensors \"\(previous.key)\" and \"\(next.key)\" overlap")
        }
        self.source = source
        self.tensors = tensors
        self.bytes = bytes
        self.dataStart = headerEnd
    }

    /// Copies the F32 tensor `name`, checking that it has `shape`, into `destination`.
    ///
    /// - Throws: `MiniLMError.unexpectedTensor` when it is missing or has another dtype or shape.
    func copyFloats(_ name: String, shape: [Int], into destination: UnsafeMutablePointer<Float>) throws {
        guard let info = tensors[name] else {
            throw MiniLMError.unexpectedTensor(name: name, expected: "F32 \(shape)", found: "missing")
        }
        guard info.dtype == "F32", info.shape == shape else {
            throw MiniLMError.unexpectedTensor(name: name, expected: "F32 \(shape)",
                                               found: "\(info.dtype) \(info.shape)")
        }
        guard !info.offsets.isEmpty else { return }
        // The format is little-endian, like every platform kb builds for.
        let start = dataStart + info.offsets.lowerBound
        switch bytes {
        case .memory(let data):
            data.withUnsafeBytes { raw in
                UnsafeMutableRawPointer(destination).copyMemory(from: raw.baseAddress! + start,
                                                                byteCount: info.offsets.count)
            }
        case .file(let handle):
            var done = 0
            while done < info.offsets.count {
                let read = pread(handle.fileDescriptor, UnsafeMutableRawPointer(destination) + done,
                                 info.offsets.count - done, off_t(start + done))
                guard read > 0 else {
                    let cause = read < 0 ? String(cString: strerror(errno)) : "end of file"
                    throw MiniLMError.corruptWeights(file: source, reason: "reading tensor \"\(name)\" failed after "
                        + "\(done) of \(info.offsets.count) bytes (\(cause))")
                }
                done += read
            }
        }
    }
}
