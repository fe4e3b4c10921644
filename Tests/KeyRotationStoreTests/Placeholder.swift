import Testing

@Test func placeholderKeyRotationStoreTests() {}
