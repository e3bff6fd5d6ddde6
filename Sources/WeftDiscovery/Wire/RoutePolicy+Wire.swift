import WeftModel

extension Weft_Discovery_V1_RoutePolicy {
    init(_ model: RoutePolicy) {
        self.init()
        if let value = model.timeoutMs { timeoutMs = Int64(model: value) }
        if let model = model.retry {
            var wire = Retry()
            wire.attempts = Int32(model: model.attempts)
            if let value = model.perTryTimeoutMs { wire.perTryTimeoutMs = Int64(model: value) }
            wire.retryOn = model.retryOn
            retry = wire
        }
        if let model = model.fault {
            var wire = Fault()
            if let value = model.delayMs { wire.delayMs = Int64(model: value) }
            wire.delayPercent = model.delayPercent
            if let value = model.abortStatus { wire.abortStatus = Int32(model: value) }
            if let value = model.abortGrpcStatus { wire.abortGrpcStatus = value }
            wire.abortPercent = model.abortPercent
            fault = wire
        }
        mirrors = model.mirrors.map { mirror in
            var wire = Mirror()
            wire.cluster = mirror.cluster
            wire.percent = mirror.percent
            return wire
        }
        if let model = model.rewrite {
            var wire = Rewrite()
            if let value = model.uriPrefix { wire.uriPrefix = value }
            if let value = model.regexMatch { wire.regexMatch = value }
            if let value = model.regexReplacement { wire.regexReplacement = value }
            if let value = model.authority { wire.authority = value }
            rewrite = wire
        }
        if let model = model.headers { headers = Weft_Discovery_V1_HeaderEdits(model) }
        if let model = model.cors {
            var wire = CORS()
            wire.allowOrigins = model.allowOrigins.map(Weft_Discovery_V1_StringMatcher.init)
            wire.allowMethods = model.allowMethods
            wire.allowHeaders = model.allowHeaders
            wire.exposeHeaders = model.exposeHeaders
            if let value = model.maxAgeSeconds { wire.maxAgeSeconds = Int32(model: value) }
            wire.allowCredentials = model.allowCredentials
            wire.forwardUnmatchedPreflights = model.forwardUnmatchedPreflights
            cors = wire
        }
    }
}

extension RoutePolicy {
    init(wire: Weft_Discovery_V1_RoutePolicy) throws(WireError) {
        self.init()
        timeoutMs = wire.hasTimeoutMs ? Int(wire: wire.timeoutMs) : nil
        if wire.hasRetry {
            retry = Retry(attempts: Int(wire: wire.retry.attempts), perTryTimeoutMs: wire.retry.hasPerTryTimeoutMs ? Int(wire: wire.retry.perTryTimeoutMs) : nil,
                          retryOn: wire.retry.retryOn)
        }
        if wire.hasFault {
            let fault = wire.fault
            self.fault = Fault(delayMs: fault.hasDelayMs ? Int(wire: fault.delayMs) : nil, delayPercent: fault.delayPercent,
                               abortStatus: fault.hasAbortStatus ? Int(wire: fault.abortStatus) : nil,
                               abortGrpcStatus: fault.hasAbortGrpcStatus ? fault.abortGrpcStatus : nil, abortPercent: fault.abortPercent)
        }
        mirrors = wire.mirrors.map { Mirror(cluster: $0.cluster, percent: $0.percent) }
        if wire.hasRewrite {
            let rewrite = wire.rewrite
            self.rewrite = Rewrite(uriPrefix: rewrite.hasUriPrefix ? rewrite.uriPrefix : nil, regexMatch: rewrite.hasRegexMatch ? rewrite.regexMatch : nil,
                                   regexReplacement: rewrite.hasRegexReplacement ? rewrite.regexReplacement : nil, authority: rewrite.hasAuthority ? rewrite.authority : nil)
        }
        if wire.hasHeaders { headers = HeaderEdits(wire: wire.headers) }
        if wire.hasCors {
            let cors = wire.cors
            var origins: [StringMatcher] = []
            for origin in cors.allowOrigins { origins.append(try StringMatcher(wire: origin)) }
            self.cors = CORS(allowOrigins: origins, allowMethods: cors.allowMethods, allowHeaders: cors.allowHeaders, exposeHeaders: cors.exposeHeaders,
                             maxAgeSeconds: cors.hasMaxAgeSeconds ? Int(wire: cors.maxAgeSeconds) : nil, allowCredentials: cors.allowCredentials,
                             forwardUnmatchedPreflights: cors.forwardUnmatchedPreflights)
        }
    }
}
