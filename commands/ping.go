package commands

// handlePing answers "pong" so anyone in a group can check, without side
// effects, that the bot reads the group and its replies get through the outbox.
func handlePing(*Request) (string, error) { return "pong", nil }
