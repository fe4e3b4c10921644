public import Foundation

extension VirusTotalQuotas {
    /// Decodes the body of a 200 answer from `/users/{id}/overall_quotas`.
    ///
    /// A window that is missing or malformed reads as `nil`.
    ///
    /// - Parameter json: The response body.
    /// - Throws: ``VirusTotalDecodingError`` when the body is not JSON or has no `data` object.
    public init(json: Data) throws(VirusTotalDecodingError) {
        let decoded: QuotasEnvelope
        do {
            decoded = try JSONDecoder().decode(QuotasEnvelope.self, from: json)
        } catch {
            throw VirusTotalDecodingError(.malformedJSON, "the quota answer (\(json.count) bytes) is not a JSON object")
        }
        guard let quotas = decoded.quotas else {
            throw VirusTotalDecodingError(.missingData, "the quota answer has no 'data' object")
        }
        self = quotas
    }
}

/// `{"data":{"api_requests_{hourly,daily,monthly}":{"user":{"allowed","used"}}}}`.
private struct QuotasEnvelope: Decodable {
    var quotas: VirusTotalQuotas?

    init(from decoder: any Decoder) throws {
        let root = try decoder.container(keyedBy: AnyCodingKey.self)
        guard let data = root.lenientObject("data") else {
            self.quotas = nil
            return
        }
        func allowance(_ window: String) -> VirusTotalQuotas.Allowance? {
            guard
                let user = data.lenientObject(AnyCodingKey(stringValue: "api_requests_\(window)"))?
                    .lenientObject("user"),
                let allowed = user.lenient("allowed", as: Int.self), let used = user.lenient("used", as: Int.self)
            else { return nil }
            return VirusTotalQuotas.Allowance(allowed: allowed, used: used)
        }
        self.quotas = VirusTotalQuotas(
            hourly: allowance("hourly"),
            daily: allowance("daily"),
            monthly: allowance("monthly")
        )
    }
}
