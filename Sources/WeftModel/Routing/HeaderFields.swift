/// HTTP header fields kept as the bytes they arrived in (`name: value\r\n` lines) with an index of
/// where each name and value lies. A value becomes a String only when something reads it, and
/// forwarding writes the lines as they are, with the edits made since: a request's head is not
/// rebuilt as a String pair per header to be taken apart again on the way out (issue 19, item 3).
/// Names compare in any case; iterating gives lower-cased names, as matching and policy read them.
// @unchecked: its storage (a class) is written only while uniquely referenced, as an array's buffer is.
public struct HeaderFields: @unchecked Sendable {
    /// The lines received or added and their index, in one allocation (`HeaderFieldStorage.swift`);
    /// nil until there is one. A removed field's line stays there, out of the index.
    var storage: Storage?
    /// A bit per name tag (`nameBit`) of every name ever here: a name whose bit is clear is not, and
    /// most lookups (hop-by-hop names, trace context, framing) are for names that are not.
    var nameBits: UInt64 = 0

    public init() {
        storage = nil
    }

    /// Fields written out from pairs (HTTP/2 heads, local requests, tests).
    public init(_ pairs: some Sequence<(String, String)>) {
        self.init()
        for (name, value) in pairs { add(name: name, value: value) }
    }

    /// A name's tag (CWeftBytes' `weft_name_tag`, which the scan of a received head gives each
    /// field): its length (up to 255) and its first, middle and last bytes with the case bit set.
    /// Names whose tags differ differ in any case: a lookup compares each field's tag, a word it
    /// already holds, and reads the name of a field whose tag is the one sought alone.
    @inlinable @inline(__always)
    static func nameTag(_ name: UnsafeBufferPointer<UInt8>) -> UInt32 {
        let count = name.count
        guard count > 0, let base = name.baseAddress else { return 0 }
        return UInt32(truncatingIfNeeded: Swift.min(count, 255)) | UInt32(base[0] | 0x20) &<< 8
            | UInt32(base[count &>> 1] | 0x20) &<< 16 | UInt32(base[count &- 1] | 0x20) &<< 24
    }

    /// The bit `nameBits` keeps for a tag (CWeftBytes' `weft_name_bit`).
    @inlinable @inline(__always)
    static func nameBit(_ tag: UInt32) -> UInt64 {
        1 &<< UInt64(nameBitIndex(tag))
    }

    /// Which bit that is (0–63): the top six bits of the tag times a large odd number.
    @inlinable @inline(__always)
    static func nameBitIndex(_ tag: UInt32) -> Int {
        Int(truncatingIfNeeded: (tag &* 0x9E37_79B1) &>> 26)
    }

    public var count: Int { withLines(or: 0) { $0.fieldCount } }
    public var isEmpty: Bool { count == 0 }

    /// Room for `fieldCount` fields in all, those to come about 32 bytes each (forwarding's ~10
    /// added lines are ~400 bytes): a head shared or full is copied once, not grown field by field.
    public mutating func reserveCapacity(_ fieldCount: Int) {
        let extra = fieldCount - count
        if extra > 0 { _ = reserve(bytes: extra * 32, fields: extra) }
    }

    /// The first value of the field `name` (any case).
    public func first(name: String) -> String? {
        Self.withName(name) { first(named: $0, tag: $1) }
    }

    public func contains(name: String) -> Bool {
        Self.withName(name) { position(named: $0, tag: $1) != nil }
    }

    /// Each value of the field `name`, in order, as its bytes (no String is made).
    public func forEachValue(name: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        try Self.withName(name) { try forEachValue(named: $0, tag: $1, body) }
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
        Self.withName(name) { add(named: $0, tag: $1, value: value) }
    }

    /// Removes every field `name` (any case).
    public mutating func remove(name: String) {
        Self.withName(name) { removeAll(named: $0, tag: $1) }
    }

    /// The field `name` with `value` alone, at the end (as NIO's `HTTPHeaders` does it).
    public mutating func replaceOrAdd(name: String, value: String) {
        remove(name: name)
        add(name: name, value: value)
    }

    // MARK: the lookups on bytes, which the String and `HeaderName` forms share

    @inline(__always)
    static func withName<Result>(_ name: String, _ body: (UnsafeBufferPointer<UInt8>, UInt32) throws -> Result) rethrows -> Result {
        try name.withUTF8Bytes { try body($0, nameTag($0)) }
    }

    /// Where the first field named `wanted` (any case) is; `tag` is the name's tag.
    func position(named wanted: UnsafeBufferPointer<UInt8>, tag: UInt32) -> Int? {
        guard nameBits & Self.nameBit(tag) != 0 else { return nil }
        return withLines(or: nil) { lines in
            var position = 0
            while position < lines.fieldCount {
                if lines.tag(position) == tag, Self.nameOf(lines.field(position), in: lines.bytes, is: wanted) { return position }
                position &+= 1
            }
            return nil
        }
    }

    func first(named wanted: UnsafeBufferPointer<UInt8>, tag: UInt32) -> String? {
        position(named: wanted, tag: tag).map { value(at: $0) }
    }

    func forEachValue(named wanted: UnsafeBufferPointer<UInt8>, tag: UInt32, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        guard let first = position(named: wanted, tag: tag) else { return }
        // On the storage, not a slice's iterator: this runs for every framing and keep-alive read.
        try withLines(or: ()) { lines in
            var position = first
            while position < lines.fieldCount {
                if position == first || (lines.tag(position) == tag && Self.nameOf(lines.field(position), in: lines.bytes, is: wanted)) {
                    try body(lines.value(of: lines.field(position)))
                }
                position &+= 1
            }
        }
    }

    func lists(_ token: String, named wanted: UnsafeBufferPointer<UInt8>, tag: UInt32) -> Bool {
        var found = false
        token.withUTF8Bytes { token in
            forEachValue(named: wanted, tag: tag) { value in
                Self.forEachElement(of: value) { element in
                    if !found, HTTPToken.equalsIgnoringCase(element, token) { found = true }
                }
            }
        }
        return found
    }

    func lastElement(named wanted: UnsafeBufferPointer<UInt8>, tag: UInt32, is token: String) -> Bool {
        var last: Bool?
        token.withUTF8Bytes { token in
            forEachValue(named: wanted, tag: tag) { value in
                Self.forEachElement(of: value) { last = HTTPToken.equalsIgnoringCase($0, token) }
            }
        }
        return last ?? false
    }

    mutating func add(named name: UnsafeBufferPointer<UInt8>, tag: UInt32, value: String) {
        value.withUTF8Bytes { add(named: name, tag: tag, value: $0) }
    }

    /// Adds the line `name: value` CRLF, written where it goes in the storage.
    mutating func add(named name: UnsafeBufferPointer<UInt8>, tag: UInt32, value: UnsafeBufferPointer<UInt8>) {
        append(name: name, tag: tag, value: value)
        nameBits |= Self.nameBit(tag)
    }

    /// Drops every field named `wanted` from the index, in one pass from the first.
    mutating func removeAll(named wanted: UnsafeBufferPointer<UInt8>, tag: UInt32) {
        guard let first = position(named: wanted, tag: tag) else { return }
        removeAll(from: first) { field, bytes in field.tag == tag && Self.nameOf(field, in: bytes, is: wanted) }
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
        try withLines(or: ()) { lines in
            var position = 0
            while position < lines.fieldCount {
                let first = lines.field(position)
                let start = Int(first.line)
                var end = Int(first.lineEnd)
                position &+= 1
                while position < lines.fieldCount {
                    let next = lines.field(position)
                    guard Int(next.line) == end else { break }
                    end = Int(next.lineEnd)
                    position &+= 1
                }
                try body(UnsafeRawBufferPointer(start: lines.base + start, count: end &- start))
            }
        }
    }

    /// At least `lineBytes`, read without a walk: the bytes the storage's lines take, a removed
    /// field's line among them (each field's line lies within them, no two fields share one). Room
    /// to ask for when writing the lines out; equal to `lineBytes` until a field is removed.
    /// (`lineBytes` walked every field, three times a request at each sidecar: ~150 instructions
    /// and a retain and release of the storage each time.)
    public var storedLineBytes: Int {
        guard let storage else { return 0 }
        return Int(storage.header.bytes)
    }

    /// The bytes `withLineRuns` gives, counted.
    public var lineBytes: Int {
        withLines(or: 0) { lines in
            var total = 0
            for position in 0..<lines.fieldCount {
                let field = lines.field(position)
                total &+= Int(field.lineEnd &- field.line)
            }
            return total
        }
    }

    /// Whether the field's name is `wanted`, in any case (called for a field whose tag is the one sought).
    @inline(__always)
    static func nameOf(_ field: Field, in bytes: UnsafeBufferPointer<UInt8>, is wanted: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = Int(field.line)
        let count = wanted.count
        guard Int(field.nameEnd) &- start == count else { return false }
        // The field's range was checked when the head was read: its name lies within `bytes`.
        guard count > 0, let base = bytes.baseAddress, let expected = wanted.baseAddress else { return true }
        return HTTPToken.sameIgnoringCase(base + start, expected, count: count)
    }

    /// The value of the field at `position` (one that is there).
    func value(at position: Int) -> String {
        withLines(or: "") { String(decoding: $0.value(of: $0.field(position)), as: UTF8.self) }
    }

    fileprivate func lowercasedName(at position: Int) -> String {
        withLines(or: "") { lines in
            let name = lines.name(of: lines.field(position))
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
            guard position < fields.count else { return nil }
            defer { position += 1 }
            return (fields.lowercasedName(at: position), fields.value(at: position))
        }
    }

    public func makeIterator() -> Iterator { Iterator(fields: self) }
    public var underestimatedCount: Int { count }
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

extension String {
    /// The String's UTF-8 bytes where they are, when it has them in one piece (a native String
    /// does; a small one lends a copy on the stack): `withUTF8` needs a mutable binding, and the
    /// copy made for it was a retain and a release of the String per call.
    @inline(__always)
    func withUTF8Bytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        if let result = try utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = self
        return try copy.withUTF8(body)
    }
}
