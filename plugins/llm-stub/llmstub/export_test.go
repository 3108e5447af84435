package llmstub

import "github.com/openoma/openoma/sdk"

type portsChecker = sdk.Ports
