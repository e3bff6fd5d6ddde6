/// HTTP header fields kept as the bytes they arrived in (`name: value\r\n` lines) with an index of
/// where each name and value lies. A value becomes a String only when something reads it, and
/// forwarding writes the lines as they are, with the edits made since: a request's head is not
/// rebuilt as a String pair per header to be taken apart again on the way out (issue 19, item 3).
/// Names compare in any case; iterating gives lower-cased names, as matching and policy read them.
public struct HeaderFields: Sendable {
    /// One field line in `bytes`: `line ..< nameEnd` the name, `valueStart ..< valueEnd` the value
    /// without surrounding whitespace, `lineEnd` just past its CRLF.
    struct Field: Sendable {
        var line: Int32
        var nameEnd: Int32
        var valueStart: Int32
        var valueEnd: Int32
        var lineEnd: Int32
    }

    /// Every line received or added; a removed field's line stays here but leaves `fields`. (Internal,
    /// not private: the lookups by `HeaderName` are in an extension of their own.)
    var bytes: [UInt8]
    /// The fields in order.
    var fields: [Field]
    /// A bit per (length, first byte) of every name ever here: a name whose bit is clear is not, and
    /// most lookups (hop-by-hop names, trace context, framing) are for names that are not.
    var nameBits: UInt64 = 0

    public init() {
        bytes = []
        fields = []
    }

    /// Fields written out from pairs (HTTP/2 heads, local requests, tests).
    public init(_ pairs: some Sequence<(String, String)>) {
        self.init()
        for (name, value) in pairs { add(name: name, value: value) }
    }

    /// Indexes `lines`, the field lines of a head (each ending in CRLF, without the empty line that
    /// ends the head); nil when one is not a field line HTTP/1.1 allows (RFC 9112 §5): a name that
    /// is not a token (whitespace before the colon, a folded line), or a control character in a value.
    public init?(validating lines: [UInt8]) {
        var fields: [Field] = []
        fields.reserveCapacity(16)
        var bits: UInt64 = 0
        let valid = lines.withUnsafeBufferPointer { bytes -> Bool in
            let end = bytes.count
            var index = 0
            while index < end {
                let line = index
                index = HTTPToken.tokenRunEnd(in: bytes, from: index)
                guard index > line, index < end, bytes[index] == UInt8(ascii: ":") else { return false }
                let nameEnd = index
                bits |= Self.nameBit(UnsafeBufferPointer(rebasing: bytes[line..<nameEnd]))
                index += 1
                while index < end, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
                let valueStart = index
                while index < end {
                    index = HTTPToken.firstControlByte(in: bytes, from: index)
                    guard index < end else { break }
                    // A tab goes on; the CR ends the value; any other control character (a NUL, a
                    // lone LF) or DEL ends nowhere good: refused.
                    let byte = bytes[index]
                    if byte == 0x09 {
                        index &+= 1
                        continue
                    }
                    guard byte == 0x0D else { return false }
                    break
                }
                var valueEnd = index
                while valueEnd > valueStart, bytes[valueEnd - 1] == 0x20 || bytes[valueEnd - 1] == 0x09 { valueEnd -= 1 }
                guard index + 1 < end, bytes[index + 1] == 0x0A else { return false }
                index += 2
                fields.append(Field(line: Int32(line), nameEnd: Int32(nameEnd), valueStart: Int32(valueStart), valueEnd: Int32(valueEnd), lineEnd: Int32(index)))
            }
            return true
        }
        guard valid else { return nil }
        self.bytes = lines
        self.fields = fields
        nameBits = bits
    }

    /// `bytes` copied into an array with room for `room` bytes more (lines added later go in place).
    /// Reserved and appended: `Array(unsafeUninitializedCapacity:)` allocates through an unspecialised
    /// stdlib function that looks up the storage's generic metadata each time (~250 instructions).
    public static func lines(_ bytes: UnsafeRawBufferPointer, room: Int) -> [UInt8] {
        var lines: [UInt8] = []
        lines.reserveCapacity(bytes.count + room)
        lines.append(contentsOf: bytes.bindMemory(to: UInt8.self))
        return lines
    }

    /// The bit `nameBits` keeps for a name: its length and its first byte (in any case).
    @inlinable @usableFromInline @inline(__always)
    static func nameBit(_ name: UnsafeBufferPointer<UInt8>) -> UInt64 {
        guard let first = name.first else { return 1 }
        return 1 << ((UInt64(name.count) &* 7 &+ UInt64(HTTPToken.lower(first))) & 63)
    }

    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }

    /// Room for `fieldCount` fields in all, those to come about 48 bytes each: a head copied to be
    /// edited is copied once, not grown field by field.
    public mutating func reserveCapacity(_ fieldCount: Int) {
        bytes.reserveCapacity(bytes.count + Swift.max(fieldCount - fields.count, 0) * 48)
        fields.reserveCapacity(fieldCount)
    }

    /// The first value of the field `name` (any case).
    public func first(name: String) -> String? {
        Self.withName(name) { first(named: $0, bit: $1) }
    }

    public func contains(name: String) -> Bool {
        Self.withName(name) { position(named: $0, bit: $1) != nil }
    }

    /// Each value of the field `name`, in order, as its bytes (no String is made).
    public func forEachValue(name: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        try Self.withName(name) { try forEachValue(named: $0, bit: $1, body) }
    }

    /// The comma-separated elements of every `name` field, in order, each without surrounding
    /// whitespace (RFC 9110 §5.6.1), as bytes.
    public func forEachElement(name: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        try forEachValue(name: name) { try Self.forEachElement(of: $0, body) }
    }

    /// Every value of the field `name`, in order.
    public func values(name: String) -> [String] {
        var values: [String] = []
        forEachValue(name: name) { values.append(String(decoding: $0, as: UTF8.self)) }
        return values
    }

    public mutating func add(name: String, value: String) {
        Self.withName(name) { add(named: $0, bit: $1, value: value) }
    }

    /// Removes every field `name` (any case).
    public mutating func remove(name: String) {
        Self.withName(name) { removeAll(named: $0, bit: $1) }
    }

    /// The field `name` with `value` alone, at the end (as NIO's `HTTPHeaders` does it).
    public mutating func replaceOrAdd(name: String, value: String) {
        remove(name: name)
        add(name: name, value: value)
    }

    // MARK: the lookups on bytes, which the String and `HeaderName` forms share

    @inline(__always)
    static func withName<Result>(_ name: String, _ body: (UnsafeBufferPointer<UInt8>, UInt64) throws -> Result) rethrows -> Result {
        var name = name
        return try name.withUTF8 { try body($0, nameBit($0)) }
    }

    /// Where the first field named `wanted` (any case) is; `bit` is the name's bit in `nameBits`.
    func position(named wanted: UnsafeBufferPointer<UInt8>, bit: UInt64) -> Int? {
        guard nameBits & bit != 0 else { return nil }
        return bytes.withUnsafeBufferPointer { bytes in
            fields.withUnsafeBufferPointer { fields in
                var position = 0
                while position < fields.count {
                    if Self.nameOf(fields[position], in: bytes, is: wanted) { return position }
                    position &+= 1
                }
                return nil
            }
        }
    }

    func first(named wanted: UnsafeBufferPointer<UInt8>, bit: UInt64) -> String? {
        position(named: wanted, bit: bit).map { value(of: fields[$0]) }
    }

    func forEachValue(named wanted: UnsafeBufferPointer<UInt8>, bit: UInt64, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        guard let first = position(named: wanted, bit: bit) else { return }
        // On the buffers, not a slice's iterator: this runs for every framing and keep-alive read.
        try bytes.withUnsafeBufferPointer { bytes in
            try fields.withUnsafeBufferPointer { fields in
                var position = first
                while position < fields.count {
                    let field = fields[position]
                    if position == first || Self.nameOf(field, in: bytes, is: wanted) {
                        try body(UnsafeBufferPointer(rebasing: bytes[Int(field.valueStart)..<Int(field.valueEnd)]))
                    }
                    position &+= 1
                }
            }
        }
    }

    func lists(_ token: String, named wanted: UnsafeBufferPointer<UInt8>, bit: UInt64) -> Bool {
        var found = false
        var token = token
        token.withUTF8 { token in
            forEachValue(named: wanted, bit: bit) { value in
                Self.forEachElement(of: value) { element in
                    if !found, HTTPToken.equalsIgnoringCase(element, token) { found = true }
                }
            }
        }
        return found
    }

    func lastElement(named wanted: UnsafeBufferPointer<UInt8>, bit: UInt64, is token: String) -> Bool {
        var last: Bool?
        var token = token
        token.withUTF8 { token in
            forEachValue(named: wanted, bit: bit) { value in
                Self.forEachElement(of: value) { last = HTTPToken.equalsIgnoringCase($0, token) }
            }
        }
        return last ?? false
    }

    mutating func add(named name: UnsafeBufferPointer<UInt8>, bit: UInt64, value: String) {
        var value = value
        value.withUTF8 { add(named: name, bit: bit, value: $0) }
    }

    /// Adds the line `name: value` CRLF: put together aside and appended at once (one growth
    /// check and one copy, where six appends each checked the array's uniqueness and room).
    mutating func add(named name: UnsafeBufferPointer<UInt8>, bit: UInt64, value: UnsafeBufferPointer<UInt8>) {
        let line = bytes.count
        let valueStart = name.count &+ 2
        let total = valueStart &+ value.count &+ 2
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: total) { buffer in
            guard let base = buffer.baseAddress else { return }
            if let source = name.baseAddress { base.initialize(from: source, count: name.count) }
            base[name.count] = UInt8(ascii: ":")
            base[name.count &+ 1] = UInt8(ascii: " ")
            if let source = value.baseAddress { (base + valueStart).initialize(from: source, count: value.count) }
            base[total &- 2] = 0x0D
            base[total &- 1] = 0x0A
            bytes.append(contentsOf: UnsafeBufferPointer(buffer))
        }
        nameBits |= bit
        fields.append(Field(line: Int32(line), nameEnd: Int32(line &+ name.count), valueStart: Int32(line &+ valueStart),
                            valueEnd: Int32(line &+ valueStart &+ value.count), lineEnd: Int32(line &+ total)))
    }

    /// Drops every field named `wanted` from the index, in one pass from the first.
    mutating func removeAll(named wanted: UnsafeBufferPointer<UInt8>, bit: UInt64) {
        guard let first = position(named: wanted, bit: bit) else { return }
        removeAll(from: first) { field, bytes in Self.nameOf(field, in: bytes, is: wanted) }
    }

    /// Drops the fields from `first` on that `matches` (the field at `first` is taken to match).
    mutating func removeAll(from first: Int, where matches: (Field, UnsafeBufferPointer<UInt8>) -> Bool) {
        let bytes = self.bytes
        bytes.withUnsafeBufferPointer { bytes in
            var kept = first
            for position in (first + 1)..<fields.count where !matches(fields[position], bytes) {
                fields[kept] = fields[position]
                kept += 1
            }
            fields.removeLast(fields.count - kept)
        }
    }

    /// The comma-separated elements of one value, each without surrounding whitespace, empty ones skipped.
    public static func forEachElement(of value: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        try forEachListMember(of: value) { member in
            // Empty elements are no elements (RFC 9110 §5.6.1).
            if !member.isEmpty { try body(member) }
            return true
        }
    }

    /// Every comma-separated member of one value, empty ones too (a Content-Length list refuses
    /// those), each without surrounding whitespace, until `body` says stop (false).
    public static func forEachListMember(of value: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) throws -> Bool) rethrows {
        var start = 0
        while start <= value.count {
            var end = start
            while end < value.count, value[end] != UInt8(ascii: ",") { end += 1 }
            var low = start, high = end
            while low < high, value[low] == 0x20 || value[low] == 0x09 { low += 1 }
            while high > low, value[high - 1] == 0x20 || value[high - 1] == 0x09 { high -= 1 }
            guard try body(UnsafeBufferPointer(rebasing: value[low..<high])) else { return }
            start = end + 1
        }
    }

    /// The lines as they go on the wire, in order: consecutive lines in one piece (a head whose
    /// fields were only added to is one or two pieces).
    public func withLineRuns(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        try bytes.withUnsafeBytes { bytes in
            var position = 0
            while position < fields.count {
                let start = Int(fields[position].line)
                var end = Int(fields[position].lineEnd)
                position += 1
                while position < fields.count, Int(fields[position].line) == end {
                    end = Int(fields[position].lineEnd)
                    position += 1
                }
                try body(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
            }
        }
    }

    /// The bytes `withLineRuns` gives, counted.
    public var lineBytes: Int {
        fields.reduce(0) { $0 + Int($1.lineEnd - $1.line) }
    }

    static func nameOf(_ field: Field, in bytes: UnsafeBufferPointer<UInt8>, is wanted: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = Int(field.line)
        let count = wanted.count
        guard Int(field.nameEnd) &- start == count else { return false }
        guard count > 0, let base = bytes.baseAddress, let expected = wanted.baseAddress else { return true }
        let name = base + start
        // Eight bytes at a time, each side lower-cased in one step (the field's range was checked
        // when the head was read: its name lies within `bytes`).
        var offset = 0
        while offset &+ 8 <= count {
            let got = UInt64(littleEndian: UnsafeRawPointer(name + offset).loadUnaligned(as: UInt64.self))
            let asked = UInt64(littleEndian: UnsafeRawPointer(expected + offset).loadUnaligned(as: UInt64.self))
            if HTTPToken.lowered(got) != HTTPToken.lowered(asked) { return false }
            offset &+= 8
        }
        while offset < count {
            if HTTPToken.lower(name[offset]) != HTTPToken.lower(expected[offset]) { return false }
            offset &+= 1
        }
        return true
    }

    func value(of field: Field) -> String {
        bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[Int(field.valueStart)..<Int(field.valueEnd)]), as: UTF8.self) }
    }

    private func lowercasedName(of field: Field) -> String {
        bytes.withUnsafeBufferPointer { bytes in
            let name = UnsafeBufferPointer(rebasing: bytes[Int(field.line)..<Int(field.nameEnd)])
            guard name.contains(where: { $0 &- 65 < 26 }) else { return String(decoding: name, as: UTF8.self) }
            return String(unsafeUninitializedCapacity: name.count) { target in
                for (offset, byte) in name.enumerated() { target[offset] = HTTPToken.lower(byte) }
                return name.count
            }
        }
    }
}

extension HeaderFields: Sequence {
    /// Each field as (lower-cased name, value), in order.
    public struct Iterator: IteratorProtocol {
        let fields: HeaderFields
        var position = 0

        public mutating func next() -> (name: String, value: String)? {
            guard position < fields.fields.count else { return nil }
            let field = fields.fields[position]
            position += 1
            return (fields.lowercasedName(of: field), fields.value(of: field))
        }
    }

    public func makeIterator() -> Iterator { Iterator(fields: self) }
    public var underestimatedCount: Int { fields.count }
}

extension HeaderFields: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: (String, String)...) {
        self.init(elements)
    }
}

extension HeaderFields: Hashable {
    public static func == (lhs: HeaderFields, rhs: HeaderFields) -> Bool {
        lhs.count == rhs.count && zip(lhs, rhs).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for (name, value) in self {
            hasher.combine(name)
            hasher.combine(value)
        }
    }
}

extension HeaderFields: CustomStringConvertible {
    public var description: String { map { "\($0.name): \($0.value)" }.description }
}
