import Testing
import WeftAPI
import WeftModel
@testable import WeftControlPlane

/// A CUSTOM policy's provider as the proxy gets it (`AuthorizationTranslator.externalAuthorizer`).
struct ExternalAuthorizerTranslationTests {
    static func providers(_ yaml: String) throws -> [MeshConfig.ExtensionProvider] {
        try MeshConfigDocument.decode("extensionProviders:\n" + yaml).extensionProviders ?? []
    }

    @Test("envoyExtAuthzHttp: service:port and every setting; lists lowercased; a gRPC provider or a missing one unusable (fail closed)")
    func translated() throws {
        let providers = try Self.providers("""
            - name: http
              envoyExtAuthzHttp:
                service: ext-authz.foo.svc.cluster.local
                port: "8000"
                pathPrefix: /check
                timeout: 2s
                failOpen: true
                statusOnError: "503"
                includeRequestHeadersInCheck: [X-Ext-Authz]
                includeAdditionalHeadersInCheck: {X-Source: weft, x-cluster: one}
                headersToUpstreamOnAllow: [x-user]
                headersToDownstreamOnAllow: [x-trace]
                headersToDownstreamOnDeny: [x-reason]
            - name: grpc
              envoyExtAuthzGrpc: {service: ext-authz.foo.svc.cluster.local, port: "9000"}
            """)
        let http = AuthorizationTranslator.externalAuthorizer("http", providers: providers)
        #expect(http.address == "ext-authz.foo.svc.cluster.local:8000" && http.pathPrefix == "/check" && http.timeoutMs == 2000)
        #expect(http.failOpen && http.statusOnError == 503 && http.unusable == nil)
        #expect(http.includeRequestHeaders == ["x-ext-authz"] && http.headersToUpstreamOnAllow == ["x-user"])
        #expect(http.headersToDownstreamOnAllow == ["x-trace"] && http.headersToDownstreamOnDeny == ["x-reason"])
        #expect(http.additionalHeaders == [.init(name: "x-cluster", value: "one"), .init(name: "x-source", value: "weft")])
        #expect(AuthorizationTranslator.externalAuthorizer("grpc", providers: providers).unusable?.contains("envoyExtAuthzGrpc") == true)
        #expect(AuthorizationTranslator.externalAuthorizer("nowhere", providers: providers).unusable?.contains("no extension provider") == true)
    }
}
