/// Every command group of `keyrotation`, in help order. Adding a group: declare it in its own file
/// (`extension CommandGroup { static let vt = CommandGroup(...) }`) and add one line here.
enum CommandRegistry {
    /// The groups.
    static let groups: [CommandGroup] = [
        .keys,
        .vt,
        .aptos,
        .nodit,
        .serve,
    ]
}
