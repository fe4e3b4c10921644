import Testing

@Test func placeholderNoditTests() {}
