import Testing

@Test func placeholderVirusTotalTests() {}
