import WeftModel

extension Weft_Discovery_V1_StringMatcher {
    init(_ model: StringMatcher) {
        self.init()
        switch model.kind {
        case .exact: kind = .exact
        case .prefix: kind = .prefix
        case .regex: kind = .regex
        case .present: kind = .present
        }
        value = model.value
        ignoreCase = model.ignoreCase
    }
}

extension StringMatcher {
    init(wire: Weft_Discovery_V1_StringMatcher) throws(WireError) {
        let kind: Kind
        switch wire.kind {
        case .exact: kind = .exact
        case .prefix: kind = .prefix
        case .regex: kind = .regex
        case .present: kind = .present
        case .UNRECOGNIZED(let value): throw WireError("unknown string match kind \(value)")
        }
        self.init(kind, wire.value, ignoreCase: wire.ignoreCase)
    }
}

extension Weft_Discovery_V1_NamedMatcher {
    init(_ model: NamedMatcher) {
        self.init()
        name = model.name
        matcher = Weft_Discovery_V1_StringMatcher(model.matcher)
        invert = model.invert
    }
}

extension NamedMatcher {
    init(wire: Weft_Discovery_V1_NamedMatcher) throws(WireError) {
        self.init(name: wire.name, matcher: try StringMatcher(wire: wire.matcher), invert: wire.invert)
    }
}

extension Weft_Discovery_V1_RequestMatch {
    init(_ model: RequestMatch) {
        self.init()
        if let name = model.name { self.name = name }
        if let value = model.uri { uri = Weft_Discovery_V1_StringMatcher(value) }
        if let value = model.scheme { scheme = Weft_Discovery_V1_StringMatcher(value) }
        if let value = model.method { method = Weft_Discovery_V1_StringMatcher(value) }
        if let value = model.authority { authority = Weft_Discovery_V1_StringMatcher(value) }
        headers = model.headers.map(Weft_Discovery_V1_NamedMatcher.init)
        queryParams = model.queryParams.map(Weft_Discovery_V1_NamedMatcher.init)
        if let port = model.port { self.port = Int32(model: port) }
    }
}

extension RequestMatch {
    init(wire: Weft_Discovery_V1_RequestMatch) throws(WireError) {
        self.init(name: wire.hasName ? wire.name : nil)
        if wire.hasUri { uri = try StringMatcher(wire: wire.uri) }
        if wire.hasScheme { scheme = try StringMatcher(wire: wire.scheme) }
        if wire.hasMethod { method = try StringMatcher(wire: wire.method) }
        if wire.hasAuthority { authority = try StringMatcher(wire: wire.authority) }
        for header in wire.headers { headers.append(try NamedMatcher(wire: header)) }
        for parameter in wire.queryParams { queryParams.append(try NamedMatcher(wire: parameter)) }
        port = wire.hasPort ? Int(wire: wire.port) : nil
    }
}

extension Weft_Discovery_V1_HeaderEdits {
    init(_ model: HeaderEdits) {
        self.init()
        requestSet = model.requestSet
        requestAdd = model.requestAdd
        requestRemove = model.requestRemove
        responseSet = model.responseSet
        responseAdd = model.responseAdd
        responseRemove = model.responseRemove
    }
}

extension HeaderEdits {
    init(wire: Weft_Discovery_V1_HeaderEdits) {
        self.init()
        requestSet = wire.requestSet
        requestAdd = wire.requestAdd
        requestRemove = wire.requestRemove
        responseSet = wire.responseSet
        responseAdd = wire.responseAdd
        responseRemove = wire.responseRemove
    }
}
