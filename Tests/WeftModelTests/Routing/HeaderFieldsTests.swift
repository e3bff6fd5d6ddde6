import CWeftBytes
import Testing
@testable import WeftModel

/// Header fields kept as bytes: what is read, what is refused, and what goes on the wire after edits.
@Suite("Header fields as bytes")
struct HeaderFieldsTests {
    static func fields(_ text: String) -> HeaderFields? {
        HeaderFields(validating: Array(text.utf8))
    }

    static func wire(_ fields: HeaderFields) -> String {
        var bytes: [UInt8] = []
        fields.withLineRuns { bytes.append(contentsOf: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test("names are read in any case, values without surrounding whitespace; iteration lower-cases names")
    func reading() throws {
        let fields = try #require(Self.fields("Host: example.com\r\nX-Multi:  a \r\nx-multi:b\r\nContent-Type:\tapplication/json\r\nEmpty:\r\n"))
        #expect(fields.count == 5)
        #expect(fields.first(name: "host") == "example.com")
        #expect(fields.first(name: "HOST") == "example.com")
        #expect(fields.first(name: "x-multi") == "a")
        #expect(fields.values(name: "X-MULTI") == ["a", "b"])
        #expect(fields.first(name: "content-type") == "application/json")
        #expect(fields.first(name: "empty") == "")
        #expect(fields.first(name: "missing") == nil && !fields.contains(name: "hos"))
        #expect(fields.containsAny(of: ["b3", "x-multi"]) && !fields.containsAny(of: ["b3", "traceparent"]))
        #expect(fields.map(\.name) == ["host", "x-multi", "x-multi", "content-type", "empty"])
        #expect(fields.lineBytes == Self.wire(fields).utf8.count && fields.storedLineBytes == fields.lineBytes)
    }

    @Test("a name that is not a token, a folded line, a control character or a bare LF is refused", arguments: [
        "Host : example.com\r\n", " folded: x\r\n", "Host: a\r\n continued\r\n", "X: a\u{0}b\r\n", "X: a\nY: b\r\n",
        ": novalue\r\n", "X: a\r", "Bad[name]: x\r\n", "X: a\u{7F}\r\n", "X: a\rb\r\n",
    ])
    func refused(text: String) {
        #expect(Self.fields(text) == nil)
    }

    @Test("long values are checked in full: a control character, DEL or lone LF anywhere in one is refused; tabs, spaces and obs-text pass")
    func longValues() throws {
        let long = String(repeating: "abcdefghij", count: 7)
        for position in [0, 15, 16, 17, 31, 32, 47, 69] {
            for bad in ["\u{0}", "\u{7F}", "\n", "\u{1B}", "\r"] {
                var value = Array(long.utf8)
                value[position] = UInt8(ascii: Unicode.Scalar(bad)!)
                #expect(Self.fields("X-Long: " + String(decoding: value, as: UTF8.self) + "\r\n") == nil, "\(bad.debugDescription) at \(position)")
            }
        }
        let fine = try #require(HeaderFields(validating: Array("X-Long: \(long)\t \(long) ".utf8) + [0xC3, 0xA9] + Array("\t\r\nNext: 1\r\n".utf8)))
        #expect(fine.count == 2 && fine.first(name: "next") == "1")
        let valueLength: Int = 70 + 2 + 70 + 1 + 2  // value, tab and space, value, space, é (trailing tab trimmed)
        #expect(fine.first(name: "x-long")?.utf8.count == valueLength)
    }

    @Test("every byte value at every place of a value, in the first sixteen bytes, the second and the tail: only controls other than tab, and DEL, are refused (around obs-text and DEL's neighbours)")
    func everyByteEverywhere() {
        let long = "abcdefghijklmnopqrstuvwxyzabcdefghijklm"
        for filler: [UInt8] in [Array(long.utf8), [UInt8](repeating: 0xFF, count: 39), [UInt8](repeating: 0x7E, count: 39), [UInt8](repeating: 0x80, count: 39),
                                [UInt8](repeating: 0x20, count: 39), [UInt8](repeating: 0x21, count: 39)] {
            for position in 0..<filler.count {
                for byte in 0...255 {
                    var value = filler
                    value[position] = UInt8(byte)
                    let refused = (byte < 0x20 && byte != 0x09) || byte == 0x7F
                    let fields = HeaderFields(validating: Array("X-V: ".utf8) + value + Array("\r\n".utf8))
                    if refused != (fields == nil) { Issue.record("byte \(byte) at \(position) in \(filler[0]): refused \(fields == nil)") }
                }
            }
        }
    }

    @Test("a field's offsets are laid out as the C scan writes them")
    func fieldLayout() {
        #expect(MemoryLayout<HeaderFields.Field>.size == MemoryLayout<weft_header_field>.size)
        #expect(MemoryLayout<HeaderFields.Field>.stride == MemoryLayout<weft_header_field>.stride)
        #expect(MemoryLayout<HeaderFields.Field>.offset(of: \.valueEnd) == MemoryLayout<weft_header_field>.offset(of: \.valueEnd))
        #expect(MemoryLayout<HeaderFields.Field>.offset(of: \.lineEnd) == MemoryLayout<weft_header_field>.offset(of: \.lineEnd))
        #expect(MemoryLayout<HeaderFields.Field>.offset(of: \.tag) == MemoryLayout<weft_header_field>.offset(of: \.tag))
        #expect(MemoryLayout<HeaderFields.Field>.offset(of: \.tag) == HeaderFields.tagOffset)
    }

    @Test("a name's tag and bit are the same in Swift and in the C scan, in any case; names differing only past their tag's bytes are told apart")
    func nameTags() throws {
        let names = ["a", "ab", "x-b3-traceid", "X-B3-TraceId", "x-b3-sampled", "content-length", "Content-Type", "~^_|`", String(repeating: "n", count: 300)]
        for name in names {
            let bytes = Array(name.utf8)
            let tag = bytes.withUnsafeBufferPointer { HeaderFields.nameTag($0) }
            #expect(tag == bytes.withUnsafeBufferPointer { weft_name_tag($0.baseAddress, $0.count) }, "\(name)")
            #expect(HeaderFields.nameBit(tag) == weft_name_bit(tag), "\(name)")
        }
        #expect(HeaderFields.nameTag(UnsafeBufferPointer(start: nil, count: 0)) == 0)
        // Same length, first, middle and last bytes: one tag, and still two names.
        let fields = try #require(Self.fields("X-Bb-Traceid: one\r\nx-b3-traceid: two\r\n"))
        #expect(fields.first(name: "x-b3-traceid") == "two")
        #expect(fields.first(name: "x-bb-traceid") == "one")
        #expect(fields.values(name: "x-bX-traceid") == [])
        let set: HeaderNameSet = ["x-b3-traceid", "x-b3-spanid"]
        var found: [Int] = []
        fields.forEachValue(ofAny: set) { index, _ in found.append(index) }
        #expect(found == [0])
    }

    @Test("a set of names is found in every block of 64 fields: before, at and past the 64th, and removed from all of them")
    func setAcrossBlocks() throws {
        var text = ""
        for position in 0..<150 {
            text += [3, 63, 64, 65, 127, 128, 149].contains(position) ? "X-B3-SpanId: \(position)\r\n" : "x-filler-\(position): v\r\n"
        }
        var fields = try #require(Self.fields(text))
        let set: HeaderNameSet = ["x-b3-traceid", "x-b3-spanid"]
        var found: [String] = []
        fields.forEachValue(ofAny: set) { index, value in
            #expect(index == 1)
            found.append(String(decoding: value, as: UTF8.self))
        }
        #expect(found == ["3", "63", "64", "65", "127", "128", "149"])
        #expect(fields.containsAny(of: set))
        fields.remove(set)
        #expect(!fields.containsAny(of: set))
        #expect(fields.count == 143)
        #expect(fields.first(name: "x-filler-148") == "v")
    }

    @Test("a value read reusing a known String: the same bytes give it back, other bytes (or none known) their own value")
    func firstReusing() throws {
        let fields = try #require(Self.fields("X-Peer: abc==\r\nEmpty:\r\n"))
        let peer = HeaderName("x-peer")
        #expect(fields.first(peer, reusing: "abc==") == "abc==")
        #expect(fields.first(peer, reusing: "abd==") == "abc==")
        #expect(fields.first(peer, reusing: "abc=") == "abc==")
        #expect(fields.first(peer, reusing: nil) == "abc==")
        #expect(fields.first(HeaderName("empty"), reusing: "") == "")
        #expect(fields.first(HeaderName("empty"), reusing: "x") == "")
        #expect(fields.first(HeaderName("absent"), reusing: "abc==") == nil)
    }

    @Test("names compared eight bytes at a time fold exactly the letters: every byte value at every place of names shorter than a word, of whole words and of words and a tail")
    func namesFoldOnlyLetters() {
        // Shorter than a word, a word, a word and a byte, two words less one, more than two.
        for length in [3, 8, 9, 15, 18] {
            namesFoldOnlyLetters(length: length)
        }
    }

    private func namesFoldOnlyLetters(length: Int) {
        for position in 0..<length {
            for byte in 0...255 {
                var word = Array("abcdefghijklmnopqr".utf8.prefix(length))
                word[position] = UInt8(byte)
                let lowered = word.map(HTTPToken.lower)
                var caught = word
                caught[position] = HTTPToken.lower(UInt8(byte))
                let same = word.withUnsafeBufferPointer { name in
                    caught.withUnsafeBufferPointer { asked in
                        HeaderFields.nameOf(HeaderFields.Field(line: 0, nameEnd: Int32(name.count), valueStart: 0, valueEnd: 0, lineEnd: 0, tag: 0), in: name, is: asked)
                    }
                }
                if !same { Issue.record("byte \(byte) at \(position): \(same)") }
                // A different byte after folding is a different name.
                var other = lowered
                other[position] = HTTPToken.lower(UInt8(byte)) == 0x7E ? 0x5E : 0x7E
                let differs = word.withUnsafeBufferPointer { name in
                    other.withUnsafeBufferPointer { asked in
                        !HeaderFields.nameOf(HeaderFields.Field(line: 0, nameEnd: Int32(name.count), valueStart: 0, valueEnd: 0, lineEnd: 0, tag: 0), in: name, is: asked)
                    }
                }
                if !differs { Issue.record("byte \(byte) at \(position) matched \(other[position])") }
            }
        }
    }

    @Test("list elements are read from the bytes: tokens in any case, OWS trimmed, empty elements skipped, over repeated fields")
    func elements() throws {
        let fields = try #require(Self.fields("Connection: keep-alive, Upgrade\r\nTransfer-Encoding: gzip ,\r\ntransfer-encoding: , Chunked\r\n"))
        #expect(fields.lists("upgrade", in: "connection") && fields.lists("KEEP-ALIVE", in: "Connection") && !fields.lists("close", in: "connection"))
        #expect(fields.lastElement(of: "transfer-encoding", is: "chunked") && !fields.lastElement(of: "connection", is: "keep-alive"))
        var elements: [String] = []
        fields.forEachElement(name: "transfer-encoding") { elements.append(String(decoding: $0, as: UTF8.self)) }
        #expect(elements == ["gzip", "Chunked"])
        #expect(!fields.lists("x", in: "missing") && !fields.lastElement(of: "missing", is: "x"))
    }

    @Test("names read eight bytes at a time: every byte value at every place of a long name ends it, passes (tchar) or is refused exactly as a byte-by-byte read does")
    func everyNameByteEverywhere() throws {
        let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        for filler: [UInt8] in [Array("abcdefghijklmnopqrs".utf8), Array("X-ABCDEFGHIJ-01234".utf8), Array("a_b.c~d|e!f#g$h%i&j".utf8),
                                Array("x-sixteen-and-more-bytes-of-name-0123".utf8), Array("AZaz09`^|~-_.!#$%&'*+AZaz09".utf8)] {
            for position in 0..<filler.count {
                for byte in 0...255 {
                    var name = filler
                    name[position] = UInt8(byte)
                    let fields = HeaderFields(validating: name + Array(": v\r\n".utf8))
                    if byte == UInt8(ascii: ":") {
                        // The name ends there; the rest of it goes into the value.
                        if position == 0 { #expect(fields == nil) } else {
                            let parsed = try #require(fields, "colon at \(position)")
                            #expect(parsed.first(name: String(decoding: filler[..<position], as: UTF8.self)) != nil)
                        }
                    } else if tchar.contains(UInt8(byte)) {
                        let parsed = try #require(fields, "byte \(byte) at \(position)")
                        #expect(parsed.first(name: String(decoding: name, as: UTF8.self)) == "v", "byte \(byte) at \(position)")
                    } else if fields != nil {
                        Issue.record("byte \(byte) at \(position) of \(filler[0]) passed in a name")
                    }
                }
            }
        }
    }

    @Test("the first value's bytes by a known name: the first of repeated fields, in any case; none when absent")
    func firstValueBytes() throws {
        let fields = try #require(HeaderFields(validating: Array("Content-Length: 12\r\nx: y\r\ncontent-length: 13\r\n".utf8)))
        #expect(fields.withFirstValue("content-length") { String(decoding: $0, as: UTF8.self) } == "12")
        #expect(fields.withFirstValue("transfer-encoding") { _ in true } == nil)
    }

    @Test("several known names in one pass: each field of any of them in field order, with its name's place in the set; values of repeated fields all read")
    func valuesOfAny() throws {
        let fields = try #require(HeaderFields(validating: Array("Content-Length: 12\r\nX: y\r\nCONNECTION: close\r\ncontent-length: 13\r\nTE: t\r\n".utf8)))
        var seen: [String] = []
        fields.forEachValue(ofAny: ["connection", "content-length", "upgrade"]) { which, value in
            seen.append("\(which)=\(String(decoding: value, as: UTF8.self))")
        }
        #expect(seen == ["1=12", "0=close", "1=13"])
        var none = 0
        fields.forEachValue(ofAny: ["upgrade", "keep-alive"]) { _, _ in none += 1 }
        #expect(none == 0)
        var values: [String] = []
        fields.forEachValue("content-length") { values.append(String(decoding: $0, as: UTF8.self)) }
        #expect(values == ["12", "13"])
    }

    @Test("copied on write: an edited copy leaves the original as it was; a hundred additions keep their order")
    func copyOnWrite() throws {
        let received = try #require(HeaderFields(validating: Array("Host: h\r\nAccept: */*\r\n".utf8)))
        var edited = received
        edited.add("x-one", value: "1")
        edited.remove("accept")
        var reserved = received
        reserved.reserveCapacity(10)
        reserved.add("x-two", value: "2")
        #expect(Self.wire(received) == "Host: h\r\nAccept: */*\r\n")
        #expect(Self.wire(edited) == "Host: h\r\nx-one: 1\r\n")
        #expect(Self.wire(reserved) == "Host: h\r\nAccept: */*\r\nx-two: 2\r\n")
        var grown = HeaderFields()
        #expect(Self.wire(grown).isEmpty && grown.first("host") == nil)
        for index in 0..<100 { grown.add(name: "x-\(index)", value: String(repeating: "v", count: index)) }
        #expect(grown.count == 100)
        #expect(grown.first(name: "x-0") == "" && grown.first(name: "x-99") == String(repeating: "v", count: 99))
        #expect(Self.wire(grown) == (0..<100).map { "x-\($0): \(String(repeating: "v", count: $0))\r\n" }.joined())
    }

    @Test("token characters are exactly RFC 9110's tchar, for every byte")
    func tokenBytes() {
        let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        for byte in 0...255 { #expect(HTTPToken.isTokenByte(UInt8(byte)) == tchar.contains(UInt8(byte)), "byte \(byte)") }
    }

    @Test("^ and ~ are different names (only letters fold)")
    func caseFoldsLettersOnly() throws {
        let fields = try #require(Self.fields("x^y: 1\r\n"))
        #expect(fields.first(name: "x~y") == nil && fields.first(name: "X^Y") == "1")
    }

    @Test("forwarding writes the received lines as they were, less removals, plus additions, in order")
    func edits() throws {
        var fields = try #require(Self.fields("Host: h\r\nConnection: close\r\nAccept: */*\r\nX-Forwarded-For: 1.2.3.4\r\n"))
        let original = fields
        fields.remove(name: "connection")
        fields.add(name: "x-request-id", value: "abc")
        fields.replaceOrAdd(name: "x-forwarded-for", value: "1.2.3.4, 10.0.0.1")
        #expect(Self.wire(fields) == "Host: h\r\nAccept: */*\r\nx-request-id: abc\r\nx-forwarded-for: 1.2.3.4, 10.0.0.1\r\n")
        #expect(fields.count == 4 && fields.first(name: "connection") == nil)
        // The copy it was made from is as it was.
        #expect(Self.wire(original) == "Host: h\r\nConnection: close\r\nAccept: */*\r\nX-Forwarded-For: 1.2.3.4\r\n")
        #expect(original != fields)
    }

    @Test("values of a set of names edited where they lie: rewritten in place or removed, the other fields and their order kept; a shared storage is copied first; none of the names, nothing touched")
    func editValuesInPlace() throws {
        let received = try #require(Self.fields("Host: h\r\nX-B3-SpanId: aaaa\r\nAccept: */*\r\nx-b3-sampled: 1\r\nx-b3-spanid: bbbb\r\nb3: 1\r\n"))
        var edited = received
        var seen: [(Int, String)] = []
        edited.editValues(ofAny: ["x-b3-spanid", "x-b3-sampled", "b3"]) { index, value in
            seen.append((index, String(decoding: value, as: UTF8.self)))
            guard index == 0, value.count == 4, !seen.dropLast().contains(where: { $0.0 == 0 }) else { return false }
            for offset in value.indices { value[offset] = UInt8(ascii: "c") }
            return true
        }
        #expect(seen.map(\.0) == [0, 1, 0, 2] && seen.map(\.1) == ["aaaa", "1", "bbbb", "1"])
        #expect(Self.wire(edited) == "Host: h\r\nX-B3-SpanId: cccc\r\nAccept: */*\r\n")
        #expect(edited.first("x-b3-spanid") == "cccc" && !edited.contains("x-b3-sampled") && !edited.contains("b3") && edited.count == 3)
        #expect(Self.wire(received) == "Host: h\r\nX-B3-SpanId: aaaa\r\nAccept: */*\r\nx-b3-sampled: 1\r\nx-b3-spanid: bbbb\r\nb3: 1\r\n")
        var untouched = received
        var called = false
        untouched.editValues(ofAny: ["traceparent"]) { _, _ in called = true; return false }
        #expect(!called && untouched == received)
    }

    @Test("fields made from pairs read and compare as parsed ones")
    func fromPairs() throws {
        let built: HeaderFields = [("Host", "h"), ("accept", "*/*")]
        #expect(built == Self.fields("host: h\r\nAccept: */*\r\n"))
        #expect(Self.wire(built) == "Host: h\r\naccept: */*\r\n")
        #expect(HeaderFields().isEmpty && Self.fields("") == HeaderFields())
    }

    @Test("names known in advance (HeaderName) read and edit as String names do, in any case; a set of them is removed in one pass, order kept")
    func knownNames() throws {
        var fields = try #require(Self.fields("Host: h\r\nConnection: close\r\nTE: trailers\r\nAccept: */*\r\nconnection: x\r\nKeep-Alive: 5\r\n"))
        #expect(fields.first("host") == "h" && fields.contains("te") && !fields.contains("upgrade") && !fields.contains("hos"))
        #expect(fields.lists("close", in: "connection") && fields.lists("X", in: "CONNECTION"))
        let hopByHop: HeaderNameSet = ["connection", "keep-alive", "te", "upgrade"]
        #expect(fields.containsAny(of: hopByHop) && !fields.containsAny(of: ["b3", "traceparent"]))
        fields.remove(hopByHop)
        #expect(Self.wire(fields) == "Host: h\r\nAccept: */*\r\n")
        #expect(!fields.containsAny(of: hopByHop))
        fields.add("x-request-id", value: "abc")
        fields.replaceOrAdd("host", value: "other")
        fields.remove("absent")
        #expect(Self.wire(fields) == "Accept: */*\r\nx-request-id: abc\r\nhost: other\r\n")
        var values: [String] = []
        fields.forEachValue("X-Request-ID") { values.append(String(decoding: $0, as: UTF8.self)) }
        #expect(values == ["abc"] && fields.first(name: "x-request-id") == "abc")
    }

    @Test("one storage for lines and index: edits stay in room given, grow past it, never reach a copy; more fields than the stack scan holds; lines read from raw bytes")
    func storage() throws {
        let text = "Host: h\r\nAccept: */*\r\n"
        var edited = try #require(text.utf8.withContiguousStorageIfAvailable { HeaderFields(validating: UnsafeRawBufferPointer($0), room: 64) } ?? nil)
        let copy = edited
        // Within the room: the same storage (a received head's forwarding edits are written where it is).
        var roomy = try #require(text.utf8.withContiguousStorageIfAvailable { HeaderFields(validating: UnsafeRawBufferPointer($0), room: 1024) } ?? nil)
        // (Its identity only: a reference held here would make the storage shared.)
        let storage = roomy.storage.map(ObjectIdentifier.init)
        roomy.reserveCapacity(roomy.count + 12)
        for index in 0..<12 { roomy.add(name: "x-added", value: String(index)) }
        #expect(roomy.storage.map(ObjectIdentifier.init) == storage && roomy.count == 14)
        // Within the room, then far past it (the storage grows, fields and lines kept in order).
        for index in 0..<40 { edited.add(name: "x-add-\(index)", value: String(repeating: "v", count: index)) }
        edited.remove(name: "accept")
        edited.add(name: "Accept", value: "text/plain")
        #expect(edited.count == 42 && edited.first(name: "x-add-39") == String(repeating: "v", count: 39))
        #expect(Self.wire(edited) == "Host: h\r\n" + (0..<40).map { "x-add-\($0): \(String(repeating: "v", count: $0))\r\n" }.joined() + "Accept: text/plain\r\n")
        // The removed Accept line is still stored: the bound is over by its bytes, never under.
        #expect(edited.lineBytes == Self.wire(edited).utf8.count && edited.storedLineBytes == edited.lineBytes + "Accept: */*\r\n".utf8.count)
        #expect(Self.wire(copy) == text && copy.count == 2 && copy.first(name: "x-add-0") == nil)
        // A copy edited after the original: each keeps its own.
        var second = edited
        second.remove(name: "host")
        #expect(edited.first(name: "host") == "h" && second.first(name: "host") == nil && second.count == 41 && second.storedLineBytes >= second.lineBytes)
        // 200 fields: past the 42 the index is first made in on the stack.
        let many = (0..<200).map { "F\($0): \($0)\r\n" }.joined()
        let parsed = try #require(Self.fields(many))
        #expect(parsed.count == 200 && parsed.first(name: "f199") == "199" && Self.wire(parsed) == many)
        #expect(Self.fields(many + "bad line\r\n") == nil)
        // Empty: no storage until a field is added.
        var empty = try #require(HeaderFields(validating: UnsafeRawBufferPointer(start: nil, count: 0), room: 100))
        #expect(empty.isEmpty && empty.storage == nil)
        empty.add(name: "a", value: "b")
        #expect(Self.wire(empty) == "a: b\r\n")
    }

    @Test("a spare storage: taken only from its one holder (a shared one stays, fields intact), a head read into it when it has the room (its old lines gone), a new one when not")
    func spareStorage() throws {
        func read(_ text: String, room: Int, reusing spare: SpareHeaderStorage?) throws -> HeaderFields {
            try #require(text.utf8.withContiguousStorageIfAvailable { HeaderFields(validating: UnsafeRawBufferPointer($0), room: room, reusing: spare) } ?? nil)
        }
        var first = try read("Host: a\r\nX-Old: 1\r\nX-Other: 2\r\n", room: 256, reusing: nil)
        first.add(name: "x-added", value: "3")
        let holder = first
        #expect(first.takeSpareStorage() == nil && first.count == 4 && first.first(name: "x-added") == "3")
        _ = consume holder
        let identity = first.storage.map(ObjectIdentifier.init)
        let taken = first.takeSpareStorage()
        let spare = try #require(taken)
        #expect(first.isEmpty && first.storage == nil)
        let next = try read("Host: b\r\nAccept: */*\r\n", room: 256, reusing: spare)
        #expect(next.storage.map(ObjectIdentifier.init) == identity)
        #expect(Self.wire(next) == "Host: b\r\nAccept: */*\r\n" && next.count == 2 && next.first(name: "x-old") == nil && next.first(name: "host") == "b")
        // Too small for what comes: a storage of its own.
        var small = try read("A: 1\r\n", room: 0, reusing: nil)
        let smallTaken = small.takeSpareStorage()
        let smallSpare = try #require(smallTaken)
        let large = try read(String(repeating: "X-Long: value\r\n", count: 20), room: 0, reusing: smallSpare)
        #expect(large.count == 20 && large.first(name: "x-long") == "value")
        #expect(Self.wire(large) == String(repeating: "X-Long: value\r\n", count: 20))
    }
}
