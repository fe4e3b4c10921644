/// The transport the clients use unless given one: `CurlTransport` on Linux, `URLSessionTransport` elsewhere.
///
/// - Parameter policy: The safety rules every request obeys.
/// - Returns: A transport under `policy`.
package func makeDefaultTransport(policy: TransportPolicy) -> any HTTPTransport {
    #if canImport(CCurl)
        CurlTransport(policy: policy)
    #else
        URLSessionTransport(policy: policy)
    #endif
}
