import Testing

@Test func placeholderKeyRotationCLITests() {}
