/// A header name the proxy knows in advance (`x-request-id`, `content-length`), lower-case, with its
/// tag (`HeaderFields.nameTag`) worked out once: looking one up reads no String (a String name
/// is retained, read through `withUTF8` and lower-cased byte by byte on every lookup).
public struct HeaderName: Sendable {
    /// The name's bytes, all lower-case.
    @usableFromInline let bytes: StaticString
    /// Its tag (`HeaderFields.nameTag`), which a lookup compares with each field's.
    @usableFromInline let tag: UInt32
    /// Its length in bytes (read here, not from the StaticString, whose count checks its representation).
    @usableFromInline let count: Int

    /// `name` is a token, lower-case by convention (it is compared in any case, and written as given).
    // Inlinable: a name written at a call site is then worked out there, without a call.
    @inlinable @inline(__always)
    public init(_ name: StaticString) {
        bytes = name
        count = name.utf8CodeUnitCount
        tag = HeaderFields.nameTag(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
    }

    var utf8: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: bytes.utf8Start, count: count) }
}

/// Several `HeaderName`s looked up together: one check of the mask says that none is here, as for
/// most requests none of the hop-by-hop or trace-context names is. Up to 32 names.
public struct HeaderNameSet: Sendable {
    let names: [HeaderName]
    let bits: UInt64
    /// Per name bit (`HeaderFields.nameBitIndex`), which of `names` have it, a bit each: a field
    /// whose tag's bit is one of `bits` is compared with those alone, by tag, then by name.
    /// (An array, not an `InlineArray`: reading one of a borrowed set copied all 256 bytes.)
    let namesWithBit: [UInt32]

    public init(_ names: [HeaderName]) {
        precondition(names.count <= 32, "a HeaderNameSet holds up to 32 names")
        self.names = names
        bits = names.reduce(0) { $0 | HeaderFields.nameBit($1.tag) }
        var namesWithBit = [UInt32](repeating: 0, count: 64)
        for (index, name) in names.enumerated() { namesWithBit[HeaderFields.nameBitIndex(name.tag)] |= 1 << UInt32(index) }
        self.namesWithBit = namesWithBit
    }

    /// The index in `names` of the field's name, if it is one of them: its tag's bit, then the
    /// tags of the names with that bit, then the name of the one whose tag it is.
    @inline(__always)
    func index(of field: HeaderFields.Field, in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let bitIndex = HeaderFields.nameBitIndex(field.tag)
        guard bits &>> UInt64(bitIndex) & 1 != 0 else { return nil }
        var candidates = namesWithBit[bitIndex]
        while candidates != 0 {
            let index = candidates.trailingZeroBitCount
            if names[index].tag == field.tag, HeaderFields.nameOf(field, in: bytes, is: names[index].utf8) { return index }
            candidates &= candidates &- 1
        }
        return nil
    }
}

extension HeaderName: ExpressibleByStringLiteral {
    @inlinable @inline(__always)
    public init(stringLiteral name: StaticString) { self.init(name) }
}

extension HeaderNameSet: ExpressibleByArrayLiteral {
    public init(arrayLiteral names: HeaderName...) { self.init(names) }
}
