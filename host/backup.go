package host

import (
	"context"
	"io"
)

// Backup implements control.Backend: a consistent snapshot of the event
// store, taken while the host keeps running.
func (h *Host) Backup(ctx context.Context, w io.Writer) error { return h.store.Backup(ctx, w) }
