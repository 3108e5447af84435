package llmstub

import "github.com/openoma/openoma/plugins/internal/lifecycle"

type portsChecker = lifecycle.Ports
