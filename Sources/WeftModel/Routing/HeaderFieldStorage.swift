/// Where a `HeaderFields` keeps its lines and their index: one allocation for both (a received head
/// was two, an array of bytes and an array of fields), the lines growing from the front and the
/// index from the back, so a line added later is written where it goes, with no array's growth
/// check and no copy of it made aside first.
extension HeaderFields {
    /// One field line in the storage: `line ..< nameEnd` the name, `valueStart ..< valueEnd` the value
    /// without surrounding whitespace, `lineEnd` just past its CRLF, `tag` the name's (`nameTag`).
    /// Laid out as CWeftBytes' `weft_header_field`, which the scan of a received head fills in place.
    struct Field: Sendable {
        var line: Int32
        var nameEnd: Int32
        var valueStart: Int32
        var valueEnd: Int32
        var lineEnd: Int32
        var tag: UInt32
    }

    /// The storage's own counts (its capacity is kept here: `ManagedBuffer.capacity` asks the allocator).
    struct Counts {
        var bytes: Int32
        var fields: Int32
        var capacity: Int32
    }

    typealias Storage = ManagedBuffer<Counts, UInt8>

    static let fieldStride = MemoryLayout<Field>.stride
    /// Where a field's tag lies in it: a constant, where `MemoryLayout.offset(of:)` is a key path's
    /// lookup at run time (a test checks the two agree).
    static var tagOffset: Int { 20 }

    /// The most a storage takes to leave room beyond what it must hold: glibc serves chunks up to
    /// 1032 bytes (this, the object's header and malloc's own) from its per-thread cache; a larger
    /// one takes its slower path, ~250 instructions more an allocation.
    static let cachedAllocationBytes = 960

    /// The storage read in place: `bytes` the lines (a removed field's line stays among them),
    /// field `i` the `i`-th from the end.
    struct Lines {
        let base: UnsafeMutablePointer<UInt8>
        let capacity: Int
        let byteCount: Int
        let fieldCount: Int

        init(_ storage: Storage) {
            let counts = storage.header
            base = storage.withUnsafeMutablePointerToElements { $0 }
            capacity = Int(counts.capacity)
            byteCount = Int(counts.bytes)
            fieldCount = Int(counts.fields)
        }

        var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: byteCount) }

        @inline(__always)
        func field(_ position: Int) -> Field {
            UnsafeRawPointer(base + (capacity &- (position &+ 1) &* HeaderFields.fieldStride)).loadUnaligned(as: Field.self)
        }

        /// The tag of field `position`, read alone (a lookup's walk reads nothing else of a field).
        @inline(__always)
        func tag(_ position: Int) -> UInt32 {
            UnsafeRawPointer(base + (capacity &- (position &+ 1) &* HeaderFields.fieldStride)).loadUnaligned(fromByteOffset: HeaderFields.tagOffset, as: UInt32.self)
        }

        @inline(__always)
        func store(_ field: Field, at position: Int) {
            UnsafeMutableRawPointer(base + (capacity &- (position &+ 1) &* HeaderFields.fieldStride)).storeBytes(of: field, as: Field.self)
        }

        @inline(__always)
        func name(of field: Field) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(start: base + Int(field.line), count: Int(field.nameEnd &- field.line))
        }

        @inline(__always)
        func value(of field: Field) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(start: base + Int(field.valueStart), count: Int(field.valueEnd &- field.valueStart))
        }
    }

    /// The lines and fields read in place; `empty` when nothing was ever stored.
    @inline(__always)
    func withLines<Result>(or empty: Result, _ body: (Lines) throws -> Result) rethrows -> Result {
        guard let storage else { return empty }
        return try withExtendedLifetime(storage) { try body(Lines(storage)) }
    }

    /// A storage of `capacity` bytes holding `bytes` and no field yet: `spare`, emptied, when it
    /// has that room (`SpareHeaderStorage`), else a new one.
    static func makeStorage(capacity: Int, copying bytes: UnsafeRawBufferPointer, reusing spare: consuming SpareHeaderStorage? = nil) -> Storage {
        let capacity = (Swift.max(capacity, bytes.count) &+ 7) & ~7
        let storage: Storage
        if let reused = spare?.storage, Int(reused.header.capacity) >= capacity {
            reused.header.bytes = Int32(bytes.count)
            reused.header.fields = 0
            storage = reused
        } else {
            storage = Storage.create(minimumCapacity: capacity) { _ in Counts(bytes: Int32(bytes.count), fields: 0, capacity: Int32(capacity)) }
        }
        if let source = bytes.baseAddress, !bytes.isEmpty {
            storage.withUnsafeMutablePointerToElements { UnsafeMutableRawPointer($0).copyMemory(from: source, byteCount: bytes.count) }
        }
        return storage
    }

    /// Makes the storage this value's own with room for `bytes` more line bytes and `fields` more
    /// fields, copying it (with as much room again, so adds one by one copy rarely) when it is shared or full.
    /// The check is inlined where lines are added (a call for it was ~55 instructions an added field).
    @inline(__always)
    mutating func reserve(bytes extraBytes: Int, fields extraFields: Int) -> Lines {
        let needed = extraBytes &+ extraFields &* Self.fieldStride
        // Checked before the storage is bound to a name (a binding would be a second reference).
        if isKnownUniquelyReferenced(&storage) {
            let lines = Lines(storage.unsafelyUnwrapped)
            if lines.capacity &- lines.byteCount &- lines.fieldCount &* Self.fieldStride >= needed { return lines }
        }
        return grow(needed: needed)
    }

    /// A copy of the storage with `needed` bytes of room and as much again (128 at least).
    @inline(never)
    private mutating func grow(needed: Int) -> Lines {
        let old = withLines(or: nil) { Optional($0) }
        let used = (old?.byteCount ?? 0) &+ (old?.fieldCount ?? 0) &* Self.fieldStride
        let grown = Self.makeStorage(capacity: used &+ needed &+ Swift.max(needed, 128), copying: UnsafeRawBufferPointer(start: old?.base, count: old?.byteCount ?? 0))
        if let old {
            let lines = Lines(grown)
            for position in 0..<old.fieldCount { lines.store(old.field(position), at: position) }
            grown.header.fields = Int32(old.fieldCount)
        }
        // The old storage (which `old` points into) is let go only now.
        storage = grown
        return Lines(grown)
    }

    /// Appends the line `name: value` CRLF and its field, written in place; `tag` is the name's.
    mutating func append(name: UnsafeBufferPointer<UInt8>, tag: UInt32, value: UnsafeBufferPointer<UInt8>) {
        let total = name.count &+ value.count &+ 4
        let lines = reserve(bytes: total, fields: 1)
        let line = lines.byteCount
        let target = lines.base + line
        Self.copy(name, to: target)
        target[name.count] = UInt8(ascii: ":")
        target[name.count &+ 1] = UInt8(ascii: " ")
        let valueStart = line &+ name.count &+ 2
        Self.copy(value, to: lines.base + valueStart)
        lines.base[valueStart &+ value.count] = 0x0D
        lines.base[valueStart &+ value.count &+ 1] = 0x0A
        // Every offset is within the storage, whose capacity is an Int32: no conversion can overflow.
        lines.store(Field(line: Int32(truncatingIfNeeded: line), nameEnd: Int32(truncatingIfNeeded: line &+ name.count),
                          valueStart: Int32(truncatingIfNeeded: valueStart), valueEnd: Int32(truncatingIfNeeded: valueStart &+ value.count),
                          lineEnd: Int32(truncatingIfNeeded: line &+ total), tag: tag), at: lines.fieldCount)
        storage.unsafelyUnwrapped.withUnsafeMutablePointerToHeader { counts in
            counts.pointee.bytes = Int32(truncatingIfNeeded: line &+ total)
            counts.pointee.fields = Int32(truncatingIfNeeded: lines.fieldCount &+ 1)
        }
    }

    /// `bytes` copied to `target` eight at a time, the last word overlapping the one before: an
    /// added name or value is a few dozen bytes, where a `memmove` call was ~30 instructions.
    @inline(__always)
    static func copy(_ bytes: UnsafeBufferPointer<UInt8>, to target: UnsafeMutablePointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        let count = bytes.count
        guard count >= 8 else {
            for index in 0..<count { target[index] = source[index] }
            return
        }
        let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(target)
        var offset = 0
        while offset &+ 8 < count {
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: offset, as: UInt64.self), toByteOffset: offset, as: UInt64.self)
            offset &+= 8
        }
        to.storeBytes(of: from.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self), toByteOffset: count &- 8, as: UInt64.self)
    }

    /// Drops the fields from `first` on that `matches` (the field at `first` is taken to match).
    @inline(__always)
    mutating func removeAll(from first: Int, where matches: (Field, UnsafeBufferPointer<UInt8>) -> Bool) {
        let lines = reserve(bytes: 0, fields: 0)
        var kept = first
        var position = first &+ 1
        while position < lines.fieldCount {
            let field = lines.field(position)
            if !matches(field, lines.bytes) {
                lines.store(field, at: kept)
                kept &+= 1
            }
            position &+= 1
        }
        storage!.header.fields = Int32(kept)
    }
}
