import WeftModel

extension Weft_Discovery_V1_JwtRule {
    public init(_ model: JWTRuleConfig) {
        self.init()
        issuer = model.issuer
        audiences = model.audiences
        jwks = model.jwks
        jwksUri = model.jwksURI
        fromHeaders = model.fromHeaders.map { location in
            var out = HeaderLocation()
            out.name = location.name
            out.prefix = location.prefix
            return out
        }
        fromParams = model.fromParams
        fromCookies = model.fromCookies
        forwardOriginalToken = model.forwardOriginalToken
        outputPayloadToHeader = model.outputPayloadToHeader
        outputClaimToHeaders = model.outputClaimToHeaders.map { claim in
            var out = ClaimToHeader()
            out.header = claim.header
            out.claim = claim.claim
            return out
        }
        spaceDelimitedClaims = model.spaceDelimitedClaims
    }
}

extension JWTRuleConfig {
    public init(wire: Weft_Discovery_V1_JwtRule) throws(WireError) {
        guard !wire.issuer.isEmpty else { throw WireError("jwt rule: issuer is empty") }
        if let location = wire.fromHeaders.first(where: { $0.name.isEmpty }) {
            throw WireError("jwt rule \(wire.issuer): a header location has no name (prefix \"\(location.prefix)\")")
        }
        self.init(issuer: wire.issuer, audiences: wire.audiences, jwks: wire.jwks, jwksURI: wire.jwksUri,
                  fromHeaders: wire.fromHeaders.map { JWTRuleConfig.HeaderLocation(name: $0.name, prefix: $0.prefix) },
                  fromParams: wire.fromParams, fromCookies: wire.fromCookies, forwardOriginalToken: wire.forwardOriginalToken,
                  outputPayloadToHeader: wire.outputPayloadToHeader,
                  outputClaimToHeaders: wire.outputClaimToHeaders.map { JWTRuleConfig.ClaimHeader(header: $0.header, claim: $0.claim) },
                  spaceDelimitedClaims: wire.spaceDelimitedClaims)
    }
}
