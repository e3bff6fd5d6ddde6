/// YAML that several end-to-end tests apply.
enum MeshFixtures {
    /// The `reviews` Service on 9080, selecting `app: reviews`.
    static let reviewsService = """
    apiVersion: v1
    kind: Service
    metadata: {name: reviews}
    spec:
      selector: {app: reviews}
      ports: [{name: http, port: 9080}]
    """

    /// The reviews Service with a DestinationRule naming subsets v1 and v2.
    static let reviewsWithSubsets = reviewsService + "\n---\n" + """
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: {name: reviews}
    spec:
      host: reviews
      subsets:
      - {name: v1, labels: {version: v1}}
      - {name: v2, labels: {version: v2}}
    """
}
