import CWeftBytes

/// Reading a head's field lines: each checked as HTTP/1.1 allows it (RFC 9112 §5) and indexed in
/// the same pass, then the lines and their index copied into one storage.
extension HeaderFields {
    /// Indexes `lines`, the field lines of a head (each ending in CRLF, without the empty line that
    /// ends the head); nil when one is not a field line HTTP/1.1 allows: a name that is not a token
    /// (whitespace before the colon, a folded line), or a control character in a value.
    public init?(validating lines: [UInt8]) {
        guard let fields = lines.withUnsafeBytes({ HeaderFields(validating: $0) }) else { return nil }
        self = fields
    }

    /// `lines` indexed as `init?(validating:)` does, copied with their index into one allocation
    /// with up to `room` bytes more for the lines and fields added later (forwarding's, in place);
    /// into `spare` instead when it has the room.
    public init?(validating lines: UnsafeRawBufferPointer, room: Int = 0, reusing spare: consuming SpareHeaderStorage? = nil) {
        self.init()
        var spare = consume spare
        let bytes = lines.assumingMemoryBound(to: UInt8.self)
        guard !bytes.isEmpty else { return }
        var made: (storage: Storage, bits: UInt64)?
        // The index is made on the stack first: its size is known only at the end, and the storage is made once.
        let valid = withUnsafeTemporaryAllocation(of: Field.self, capacity: Self.stackFields) { stack -> Bool in
            switch Self.scan(bytes, into: stack) {
            case .invalid:
                return false
            case .fields(let count, let bits):
                made = (Self.makeStorage(lines: lines, fields: UnsafeBufferPointer(rebasing: stack[..<count]), room: room, reusing: spare.take()), bits)
                return true
            case .overflow:
                // More fields than the stack holds: scanned again into the heap (a line is at least 4 bytes).
                let heap = UnsafeMutableBufferPointer<Field>.allocate(capacity: bytes.count / 4 + 1)
                defer { heap.deallocate() }
                guard case .fields(let count, let bits) = Self.scan(bytes, into: heap) else { return false }
                made = (Self.makeStorage(lines: lines, fields: UnsafeBufferPointer(rebasing: heap[..<count]), room: room, reusing: spare.take()), bits)
                return true
            }
        }
        guard valid, let made else { return nil }
        storage = made.storage
        nameBits = made.bits
    }

    /// A head's field lines read up to the empty line that ends it, in one pass: the fields (as
    /// `init?(validating:room:reusing:)` makes them, `spare` taken) and the offset in `bytes` just
    /// past that empty line. Nil, `spare` left, when the bytes end before it, a line is not one
    /// HTTP/1.1 allows, or there are more fields than the stack holds: the caller then finds the
    /// head's end and reads its lines as before (and says what is wrong the same way). A head
    /// that arrives whole was searched for its end and then scanned, two passes over its bytes.
    public static func scanningHead(_ bytes: UnsafeRawBufferPointer, room: Int, reusing spare: inout SpareHeaderStorage?) -> (fields: HeaderFields, end: Int)? {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        return withUnsafeTemporaryAllocation(of: Field.self, capacity: stackFields) { stack -> (fields: HeaderFields, end: Int)? in
            guard let stored = stack.baseAddress else { return nil }
            var count = 0, bits: UInt64 = 0, end = 0
            let result = UnsafeMutableRawPointer(stored).withMemoryRebound(to: weft_header_field.self, capacity: stack.count) {
                weft_scan_head_fields(base, bytes.count, $0, stack.count, &count, &bits, &end)
            }
            guard result == weft_scan_fields else { return nil }
            var fields = HeaderFields()
            if count > 0 {
                fields.storage = makeStorage(lines: UnsafeRawBufferPointer(rebasing: bytes[..<(end - 2)]), fields: UnsafeBufferPointer(rebasing: stack[..<count]),
                                             room: room, reusing: spare.take())
                fields.nameBits = bits
            }
            return (fields, end)
        }
    }

    /// Fields a scan indexes on the stack before the storage is made: 42 (1,008 bytes), as
    /// `withUnsafeTemporaryAllocation` puts up to 1,024 bytes there and a larger one on the heap.
    static var stackFields: Int { 42 }

    /// How a scan of field lines ended: a line HTTP/1.1 refuses, more fields than the space given, or the fields.
    private enum Scan {
        case invalid
        case overflow
        case fields(count: Int, bits: UInt64)
    }

    /// The lines scanned in C (CWeftBytes: sixteen bytes at a time), into `fields` (a `Field` is
    /// laid out as its `weft_header_field`).
    private static func scan(_ bytes: UnsafeBufferPointer<UInt8>, into fields: UnsafeMutableBufferPointer<Field>) -> Scan {
        guard let base = bytes.baseAddress, let stored = fields.baseAddress else { return .fields(count: 0, bits: 0) }
        var count = 0
        var bits: UInt64 = 0
        let result = UnsafeMutableRawPointer(stored).withMemoryRebound(to: weft_header_field.self, capacity: fields.count) {
            weft_scan_header_fields(base, bytes.count, $0, fields.count, &count, &bits)
        }
        switch result {
        case weft_scan_fields: return .fields(count: count, bits: bits)
        case weft_scan_overflow: return .overflow
        default: return .invalid
        }
    }

    /// One storage for `lines` and their `fields`, with `room` bytes to spare, or less where that
    /// would take it past `cachedAllocationBytes` (a quarter of `room` at least).
    private static func makeStorage(lines: UnsafeRawBufferPointer, fields: UnsafeBufferPointer<Field>, room: Int, reusing spare: consuming SpareHeaderStorage?) -> Storage {
        let used = lines.count &+ fields.count &* fieldStride
        let capacity = Swift.max(used &+ room / 4, Swift.min(used &+ room, cachedAllocationBytes))
        let storage = makeStorage(capacity: capacity, copying: lines, reusing: spare)
        let stored = Lines(storage)
        for position in 0..<fields.count { stored.store(fields[position], at: position) }
        storage.header.fields = Int32(fields.count)
        return storage
    }
}
