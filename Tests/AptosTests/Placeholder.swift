import Testing

@Test func placeholderAptosTests() {}
