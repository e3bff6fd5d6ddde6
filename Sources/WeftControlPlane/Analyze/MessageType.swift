/// The level of an analysis message, ordered as istioctl orders them.
public enum MessageLevel: String, Sendable, Hashable, Comparable, CaseIterable, Codable {
    case Info, Warning, Error

    var rank: Int {
        switch self {
        case .Info: return 0
        case .Warning: return 1
        case .Error: return 2
        }
    }

    public static func < (lhs: MessageLevel, rhs: MessageLevel) -> Bool { lhs.rank < rhs.rank }

    /// Parses `Info`, `warning`, `ERROR` and so on.
    public init?(caseInsensitive text: String) {
        guard let level = MessageLevel.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) else { return nil }
        self = level
    }
}

/// One kind of analysis message: its IST code, name, level and what it says.
public struct MessageType: Sendable, Hashable {
    public var code: String
    public var name: String
    public var level: MessageLevel

    public init(_ code: String, _ name: String, _ level: MessageLevel) {
        self.code = code
        self.name = name
        self.level = level
    }
}

/// The IST codes Weft's analyzers emit, with istioctl's names and levels.
public enum Messages {
    public static let deprecated = MessageType("IST0002", "Deprecated", .Warning)
    public static let referencedResourceNotFound = MessageType("IST0101", "ReferencedResourceNotFound", .Error)
    public static let namespaceNotInjected = MessageType("IST0102", "NamespaceNotInjected", .Info)
    public static let podMissingProxy = MessageType("IST0103", "PodMissingProxy", .Warning)
    public static let misplacedAnnotation = MessageType("IST0107", "MisplacedAnnotation", .Warning)
    public static let unknownAnnotation = MessageType("IST0108", "UnknownAnnotation", .Warning)
    public static let invalidAnnotation = MessageType("IST0125", "InvalidAnnotation", .Warning)
    public static let deprecatedAnnotation = MessageType("IST0135", "DeprecatedAnnotation", .Info)
    public static let namespaceMultipleInjectionLabels = MessageType("IST0123", "NamespaceMultipleInjectionLabels", .Warning)
    public static let namespaceInjectionEnabledByDefault = MessageType("IST0148", "NamespaceInjectionEnabledByDefault", .Info)
    public static let schemaValidationError = MessageType("IST0106", "SchemaValidationError", .Error)
    public static let conflictingMeshGatewayVirtualServiceHosts = MessageType("IST0109", "ConflictingMeshGatewayVirtualServiceHosts", .Error)
    public static let conflictingSidecarWorkloadSelectors = MessageType("IST0110", "ConflictingSidecarWorkloadSelectors", .Error)
    public static let multipleSidecarsWithoutWorkloadSelectors = MessageType("IST0111", "MultipleSidecarsWithoutWorkloadSelectors", .Error)
    public static let virtualServiceDestinationPortSelectorRequired = MessageType("IST0112", "VirtualServiceDestinationPortSelectorRequired", .Error)
    public static let noMatchingWorkloadsFound = MessageType("IST0127", "NoMatchingWorkloadsFound", .Warning)
    public static let noServerCertificateVerificationDestinationLevel = MessageType("IST0128", "NoServerCertificateVerificationDestinationLevel", .Warning)
    public static let noServerCertificateVerificationPortLevel = MessageType("IST0129", "NoServerCertificateVerificationPortLevel", .Warning)
    public static let virtualServiceUnreachableRule = MessageType("IST0130", "VirtualServiceUnreachableRule", .Warning)
    public static let virtualServiceIneffectiveMatch = MessageType("IST0131", "VirtualServiceIneffectiveMatch", .Info)
    public static let virtualServiceHostNotFoundInGateway = MessageType("IST0132", "VirtualServiceHostNotFoundInGateway", .Warning)
    public static let serviceEntryAddressesRequired = MessageType("IST0134", "ServiceEntryAddressesRequired", .Warning)
    public static let gatewayDuplicateCertificate = MessageType("IST0138", "GatewayDuplicateCertificate", .Warning)
    public static let ingressRouteRulesNotAffected = MessageType("IST0140", "IngressRouteRulesNotAffected", .Warning)
    public static let conflictingGateways = MessageType("IST0145", "ConflictingGateways", .Error)
    public static let jwtClaimBasedRoutingWithoutRequestAuthN = MessageType("IST0149", "JwtClaimBasedRoutingWithoutRequestAuthN", .Error)
    public static let invalidGatewayCredential = MessageType("IST0161", "InvalidGatewayCredential", .Error)
    public static let gatewayPortNotDefinedOnService = MessageType("IST0162", "GatewayPortNotDefinedOnService", .Warning)
    public static let referencedInternalGateway = MessageType("IST0165", "ReferencedInternalGateway", .Warning)
    public static let ineffectivePolicy = MessageType("IST0167", "IneffectivePolicy", .Warning)
    public static let destinationRuleSubsetNotSelectPods = MessageType("IST0173", "DestinationRuleSubsetNotSelectPods", .Error)
    public static let unknownDestinationRuleHost = MessageType("IST0174", "UnknownDestinationRuleHost", .Warning)
    public static let deploymentAssociatedToMultipleServices = MessageType("IST0116", "DeploymentAssociatedToMultipleServices", .Warning)
    public static let portNameIsNotUnderNamingConvention = MessageType("IST0118", "PortNameIsNotUnderNamingConvention", .Info)
    public static let deploymentConflictingPorts = MessageType("IST0137", "DeploymentConflictingPorts", .Warning)
    public static let externalNameServiceTypeInvalidPortName = MessageType("IST0150", "ExternalNameServiceTypeInvalidPortName", .Warning)
    public static let invalidTelemetryProvider = MessageType("IST0157", "InvalidTelemetryProvider", .Warning)
    public static let conflictingTelemetryWorkloadSelectors = MessageType("IST0159", "ConflictingTelemetryWorkloadSelectors", .Error)
    public static let multipleTelemetriesWithoutWorkloadSelectors = MessageType("IST0160", "MultipleTelemetriesWithoutWorkloadSelectors", .Error)
    public static let conflictingServiceEntryProtocol = MessageType("IST0177", "ConflictingServiceEntryProtocol", .Warning)
    public static let jwksUriFetchUnrestricted = MessageType("IST0175", "JwksUriFetchUnrestricted", .Warning)
    /// Weft's own code (Istio has none): a jwksUri the control plane could not fetch.
    public static let jwksFetchFailed = MessageType("WFT0001", "JwksFetchFailed", .Warning)
}
