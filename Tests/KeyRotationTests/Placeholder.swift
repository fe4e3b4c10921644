import Testing

@Test func placeholderKeyRotationTests() {}
