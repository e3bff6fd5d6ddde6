import Testing
import WeftAPI
import WeftModel
@testable import WeftControlPlane

/// A CUSTOM policy's provider as the proxy gets it (`AuthorizationTranslator.externalAuthorizer`).
struct ExternalAuthorizerTranslationTests {
    static func providers(_ yaml: String) throws -> [MeshConfig.ExtensionProvider] {
        try MeshConfigDocument.decode("extensionProviders:\n" + yaml).extensionProviders ?? []
    }

    @Test("envoyExtAuthzHttp: service:port and every setting; lists lowercased; envoyExtAuthzGrpc: service:port, timeout, failOpen, statusOnError; a missing provider or another kind unusable (fail closed)")
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
              envoyExtAuthzGrpc: {service: ext-authz.foo.svc.cluster.local, port: "9000", timeout: 250ms, failOpen: true, statusOnError: "500",
                                  includeRequestBody: {maxRequestBytes: 2048, allowPartialMessage: true, packAsBytes: true}}
            - name: zipkin
              zipkin: {service: zipkin.istio-system.svc.cluster.local, port: 9411}
            """)
        let http = AuthorizationTranslator.externalAuthorizer("http", providers: providers)
        #expect(http.address == "ext-authz.foo.svc.cluster.local:8000" && http.pathPrefix == "/check" && http.timeoutMs == 2000)
        #expect(http.failOpen && http.statusOnError == 503 && http.unusable == nil)
        #expect(http.includeRequestHeaders == ["x-ext-authz"] && http.headersToUpstreamOnAllow == ["x-user"])
        #expect(http.headersToDownstreamOnAllow == ["x-trace"] && http.headersToDownstreamOnDeny == ["x-reason"])
        #expect(http.additionalHeaders == [.init(name: "x-cluster", value: "one"), .init(name: "x-source", value: "weft")])
        #expect(http.api == .http)
        let grpc = AuthorizationTranslator.externalAuthorizer("grpc", providers: providers)
        #expect(grpc.api == .grpc && grpc.address == "ext-authz.foo.svc.cluster.local:9000" && grpc.unusable == nil)
        #expect(grpc.timeoutMs == 250 && grpc.failOpen && grpc.statusOnError == 500 && grpc.pathPrefix.isEmpty && grpc.includeRequestHeaders.isEmpty)
        #expect(grpc.requestBody == .init(maxBytes: 2048, allowPartial: true, packAsBytes: true) && http.requestBody == nil)
        #expect(AuthorizationTranslator.externalAuthorizer("zipkin", providers: providers).unusable?.contains("is not an envoyExtAuthzHttp or envoyExtAuthzGrpc provider") == true)
        #expect(AuthorizationTranslator.externalAuthorizer("nowhere", providers: providers).unusable?.contains("no extension provider") == true)
    }
}
