import WeftAPI
import WeftModel

/// How a proxy traces requests, from MeshConfig as Istio reads it: `enableTracing` (default on),
/// `defaultConfig.tracing.sampling` (percent, default 1), `defaultConfig.tracing.zipkin.address`
/// (or the older `defaultConfig.zipkinAddress`), `maxPathTagLength`, `customTags`, and the mesh
/// id. With no address given, spans go to the control plane's built-in collector.
public enum TracingTranslator {
    /// Istio's default sampling percentage (`defaultConfig.tracing.sampling`).
    public static let defaultSampling = 1.0

    public static func tracing(meshConfig: MeshConfig, builtInCollector: String?) -> TracingConfig? {
        guard meshConfig.enableTracing != false else { return nil }
        let proxy = meshConfig.defaultConfig
        let given = [proxy?.tracing?.zipkin?.address, proxy?.zipkinAddress].compactMap { $0 }.first { !$0.isEmpty }
        guard let address = given ?? builtInCollector else { return nil }
        var config = TracingConfig(zipkinAddress: address, sampling: proxy?.tracing?.sampling ?? defaultSampling)
        if let length = proxy?.tracing?.maxPathTagLength, length > 0 { config.maxPathTagLength = length }
        config.meshID = proxy?.meshId ?? meshConfig.trustDomain ?? "cluster.local"
        config.customTags = customTags(proxy?.tracing?.customTags ?? [:])
        return config
    }

    /// ProxyConfig `tracing.customTags`: `{name: {literal: {value}} | {header: {name, defaultValue}} | {environment: {name, defaultValue}}}`.
    static func customTags(_ tags: [String: AnyValue]) -> [TracingConfig.CustomTag] {
        tags.sorted { $0.key < $1.key }.compactMap { name, value in
            if let literal = value["literal"]?["value"]?.stringValue { return .init(name: name, source: .literal(literal)) }
            if let header = value["header"], let headerName = header["name"]?.stringValue {
                return .init(name: name, source: .header(headerName.lowercased()), defaultValue: header["defaultValue"]?.stringValue)
            }
            if let environment = value["environment"], let variable = environment["name"]?.stringValue {
                return .init(name: name, source: .environment(variable), defaultValue: environment["defaultValue"]?.stringValue)
            }
            return nil
        }
    }
}
