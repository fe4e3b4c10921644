import KeyRotation

/// Everything one run of a workload against one pool observed (in virtual or wall time).
struct RunRecord: Sendable {
    var waits: [Int64] = []
    var servedPerKey: [Int]
    var attemptsPerKey: [Int]
    var servedPerCaller: [Int]
    var servedPerBucket: [Int]
    /// Successes per key per bucket (for the drain-evenness figure and the SVG).
    var servedPerKeyPerBucket: [[Int]]
    var jobsServed = 0
    var jobsLost = 0
    var attempts = 0
    var acquireFailures = 0
    var status429 = 0
    var status401 = 0
    var status5xx = 0
    var resets = 0
    var worstRecovery: Int64 = 0
    var stalled = false

    init(keys: Int, callers: Int, buckets: Int) {
        self.servedPerKey = Array(repeating: 0, count: keys)
        self.attemptsPerKey = Array(repeating: 0, count: keys)
        self.servedPerCaller = Array(repeating: 0, count: callers)
        self.servedPerBucket = Array(repeating: 0, count: buckets)
        self.servedPerKeyPerBucket = Array(repeating: Array(repeating: 0, count: buckets), count: keys)
    }

    mutating func recordAttempt(key: Int, status: Int, bucket: Int) {
        self.attempts += 1
        self.attemptsPerKey[key] += 1
        switch status {
        case 0: self.resets += 1
        case 429: self.status429 += 1
        case 401, 403: self.status401 += 1
        case 500...599: self.status5xx += 1
        default:
            self.servedPerKey[key] += 1
            let bucket = min(max(bucket, 0), self.servedPerBucket.count - 1)
            self.servedPerBucket[bucket] += 1
            self.servedPerKeyPerBucket[key][bucket] += 1
        }
    }

    mutating func recordJob(caller: Int, served: Bool, recovery: Int64?) {
        if served {
            self.jobsServed += 1
            self.servedPerCaller[caller] += 1
        } else {
            self.jobsLost += 1
        }
        if let recovery { self.worstRecovery = max(self.worstRecovery, recovery) }
    }
}
