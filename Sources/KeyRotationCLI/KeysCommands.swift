extension CommandGroup {
    /// `keyrotation keys …`: the key pools.
    static let keys = CommandGroup(
        name: "keys",
        summary: "Inspect the key pools: ids, states and quota left (never the keys)",
        commands: [KeysStatusCommand()]
    )
}
