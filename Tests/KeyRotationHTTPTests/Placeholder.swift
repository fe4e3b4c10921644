import Testing

@Test func placeholderKeyRotationHTTPTests() {}
