#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The lookups and edits by a `HeaderName`: the same as by String, without reading a String.
extension HeaderFields {
    public func first(_ name: HeaderName) -> String? {
        first(named: name.utf8, tag: name.tag)
    }

    /// The first value of `name`, as `first(_:)` gives it, but `known` itself when the bytes are
    /// its bytes: a value that repeats request after request (a peer's metadata, a few hundred
    /// bytes) is compared, not decoded into a new String each time.
    public func first(_ name: HeaderName, reusing known: String?) -> String? {
        guard let position = position(named: name.utf8, tag: name.tag) else { return nil }
        if var known {
            let same = known.withUTF8 { known in
                withLines(or: false) { lines in
                    let value = lines.value(of: lines.field(position))
                    return value.count == known.count && (value.isEmpty || memcmp(value.baseAddress!, known.baseAddress!, value.count) == 0)
                }
            }
            if same { return known }
        }
        return value(at: position)
    }

    /// The first value of `name` as its bytes, handed to `body` (no String made, and the fields
    /// after it not looked at); nil when there is none.
    /// Inlinable, so specialised where it is called: unspecialised (generic, public), its `Result?`
    /// was stored through the runtime's metadata (~250 instructions a call); the lookup is not.
    @inlinable
    public func withFirstValue<Result>(_ name: HeaderName, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result? {
        guard let value = firstValueBytes(name) else { return nil }
        // The bytes are the storage's, which `self` holds while `body` runs.
        return try withExtendedLifetime(self) { try body(value) }
    }

    /// Where the first `name` field's value lies in the storage; nil when there is none.
    @usableFromInline
    func firstValueBytes(_ name: HeaderName) -> UnsafeBufferPointer<UInt8>? {
        guard let position = position(named: name.utf8, tag: name.tag), let storage else { return nil }
        let lines = Lines(storage)
        return lines.value(of: lines.field(position))
    }

    public func contains(_ name: HeaderName) -> Bool {
        position(named: name.utf8, tag: name.tag) != nil
    }

    public func forEachValue(_ name: HeaderName, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        try forEachValue(named: name.utf8, tag: name.tag, body)
    }

    public func forEachElement(_ name: HeaderName, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        try forEachValue(named: name.utf8, tag: name.tag) { try Self.forEachElement(of: $0, body) }
    }

    /// Whether a `name` field lists `token` (any case), as `Connection: keep-alive, Upgrade` lists `upgrade`.
    public func lists(_ token: String, in name: HeaderName) -> Bool {
        lists(token, named: name.utf8, tag: name.tag)
    }

    /// The last element of the `name` fields (`Transfer-Encoding`'s final coding), if any, is `token` (any case).
    public func lastElement(of name: HeaderName, is token: String) -> Bool {
        lastElement(named: name.utf8, tag: name.tag, is: token)
    }

    public mutating func add(_ name: HeaderName, value: String) {
        add(named: name.utf8, tag: name.tag, value: value)
    }

    /// A field whose value is already bytes (valid field-value characters: the caller's to ensure).
    public mutating func add(_ name: HeaderName, utf8 value: UnsafeBufferPointer<UInt8>) {
        add(named: name.utf8, tag: name.tag, value: value)
    }

    public mutating func remove(_ name: HeaderName) {
        removeAll(named: name.utf8, tag: name.tag)
    }

    public mutating func replaceOrAdd(_ name: HeaderName, value: String) {
        remove(name)
        add(name, value: value)
    }

    /// Whether any of `names` is here: no pass over the fields when the mask says none is.
    public func containsAny(of names: HeaderNameSet) -> Bool {
        firstPosition(ofAny: names) != nil
    }

    /// Removes every field of any of `names`, in one pass.
    public mutating func remove(_ names: HeaderNameSet) {
        guard let first = firstPosition(ofAny: names) else { return }
        removeAll(from: first) { field, bytes in names.index(of: field, in: bytes) != nil }
    }

    /// One pass over the fields of any of `names` that edits them where they lie: `body` gets each
    /// one's index in `names` and its value's bytes, which it may overwrite (not lengthen), and says
    /// whether the field stays. A field rewritten so is not removed and added again: an add copies
    /// its line, and a removed line leaves a gap in the lines written upstream.
    public mutating func editValues(ofAny names: HeaderNameSet, _ body: (Int, UnsafeMutableBufferPointer<UInt8>) -> Bool) {
        guard let first = firstPosition(ofAny: names) else { return }
        let lines = reserve(bytes: 0, fields: 0)
        var kept = first
        var position = first
        while position < lines.fieldCount {
            let field = lines.field(position)
            var stays = true
            if let index = names.index(of: field, in: lines.bytes) {
                stays = body(index, UnsafeMutableBufferPointer(start: lines.base + Int(field.valueStart), count: Int(field.valueEnd &- field.valueStart)))
            }
            if stays {
                if kept != position { lines.store(field, at: kept) }
                kept &+= 1
            }
            position &+= 1
        }
        storage.unsafelyUnwrapped.header.fields = Int32(truncatingIfNeeded: kept)
    }

    /// One pass over the fields for several names: `body` gets, in field order, each field named
    /// by one of `names` as the name's index there and the field's value. Nothing is read when
    /// the mask says none is here.
    public func forEachValue(ofAny names: HeaderNameSet, _ body: (Int, UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        guard nameBits & names.bits != 0 else { return }
        try withLines(or: ()) { lines in
            for position in 0..<lines.fieldCount {
                let field = lines.field(position)
                if let index = names.index(of: field, in: lines.bytes) { try body(index, lines.value(of: field)) }
            }
        }
    }

    /// A loop of its own, not a closure's test: that stayed a closure called once a field (~70 instructions each).
    private func firstPosition(ofAny names: HeaderNameSet) -> Int? {
        guard nameBits & names.bits != 0 else { return nil }
        return withLines(or: nil) { lines in
            var position = 0
            while position < lines.fieldCount {
                if names.index(of: lines.field(position), in: lines.bytes) != nil { return position }
                position &+= 1
            }
            return nil
        }
    }
}
