/// Istio's install resource, `install.istio.io/v1alpha1` IstioOperator.
public struct IstioOperator: APIResource {
    public static let resourceType = ResourceType(group: "install.istio.io", kind: "IstioOperator", versions: ["v1alpha1"], plural: "istiooperators", shortNames: ["iop", "io"])
    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    public var spec: Spec?
    public var status: AnyValue?

    /// What to install and how.
    public struct Spec: Codable, Sendable, Hashable {
        public var profile: String?
        public var installPackagePath: String?
        public var hub: String?
        public var tag: AnyValue?
        public var namespace: String?
        public var revision: String?
        public var compatibilityVersion: String?
        public var meshConfig: MeshConfig?
        public var components: Components?
        public var values: Values?
        public var unvalidatedValues: AnyValue?
    }

    /// The parts of an Istio install.
    public struct Components: Codable, Sendable, Hashable {
        public var base: Component?
        public var pilot: Component?
        public var cni: Component?
        public var ztunnel: Component?
        public var istiodRemote: Component?
        public var ingressGateways: [Component]?
        public var egressGateways: [Component]?
    }

    /// One component: whether it is on, and its Kubernetes settings.
    public struct Component: Codable, Sendable, Hashable {
        public var enabled: Bool?
        public var name: String?
        public var namespace: String?
        public var hub: String?
        public var tag: AnyValue?
        public var label: [String: String]?
        public var k8s: KubernetesSettings?
    }

    /// Kubernetes settings of a component. Most have no effect outside Kubernetes; validation warns.
    public struct KubernetesSettings: Codable, Sendable, Hashable {
        public var affinity: AnyValue?
        public var env: [AnyValue]?
        public var hpaSpec: AnyValue?
        public var imagePullPolicy: String?
        public var nodeSelector: [String: String]?
        public var podDisruptionBudget: AnyValue?
        public var podAnnotations: [String: String]?
        public var priorityClassName: String?
        public var readinessProbe: AnyValue?
        public var replicaCount: Int?
        public var resources: ResourceRequirements?
        public var service: AnyValue?
        public var strategy: AnyValue?
        public var tolerations: [AnyValue]?
        public var serviceAnnotations: [String: String]?
        public var securityContext: AnyValue?
        public var volumes: [AnyValue]?
        public var volumeMounts: [AnyValue]?
        public var overlays: [AnyValue]?
    }

    /// Helm values. `global` is typed; the other sections are kept as written.
    public struct Values: Codable, Sendable, Hashable {
        public var global: GlobalValues?
        public var other: [String: AnyValue]

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: NameKey.self)
            global = try container.decodeIfPresent(GlobalValues.self, forKey: NameKey("global"))
            other = [:]
            for key in container.allKeys where key.stringValue != "global" {
                other[key.stringValue] = try container.decode(AnyValue.self, forKey: key)
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: NameKey.self)
            try container.encodeIfPresent(global, forKey: NameKey("global"))
            for (key, value) in other { try container.encode(value, forKey: NameKey(key)) }
        }
    }

    /// `values.global`: the settings the production guide uses, the rest kept as written.
    public struct GlobalValues: Codable, Sendable, Hashable {
        /// Multi-cluster identity.
        public struct MultiCluster: Codable, Sendable, Hashable {
            public var enabled: Bool?
            public var clusterName: String?
            public var globalDomainSuffix: String?
            public var includeEnvoyFilter: Bool?
        }
        public var meshID: String?
        public var network: String?
        public var multiCluster: MultiCluster?
        public var proxy: AnyValue?
        public var proxy_init: AnyValue?
        public var hub: String?
        public var tag: AnyValue?
        public var istioNamespace: String?
        public var logging: AnyValue?
        public var imagePullPolicy: String?
        public var imagePullSecrets: [String]?
        public var jwtPolicy: String?
        public var pilotCertProvider: String?
        public var meshNetworks: AnyValue?
        public var logAsJson: Bool?
        public var defaultPodDisruptionBudget: AnyValue?
        public var defaultResources: AnyValue?
        public var priorityClassName: String?
        public var sts: AnyValue?
        public var caAddress: String?
        public var externalIstiod: Bool?
        public var configCluster: Bool?
        public var remotePilotAddress: String?
        public var omitSidecarInjectorConfigMap: Bool?
        public var operatorManageWebhooks: Bool?
        public var istiod: AnyValue?
        public var platform: String?
        public var variant: String?
        public var waypoint: AnyValue?
        public var ipFamilies: [String]?
        public var ipFamilyPolicy: String?
        public var defaultNodeSelector: [String: String]?
        public var defaultTolerations: [AnyValue]?
        public var certSigners: [String]?
        public var caName: String?
        public var autoscalingv2API: Bool?
        public var mountMtlsCerts: Bool?
    }

    public func validate(into validator: inout Validator) {
        validator.validateMetadata(metadata, type: Self.resourceType)
        validator.validateIstioOperator(self)
    }
}
