package badger_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/store"
	"github.com/openoma/openoma/store/badger"
)

// An event larger than a value-log file is refused with a one-line error
// that names the setting to raise, not Badger's hex dump of the value.
func TestTooLargeEventIsAClearError(t *testing.T) {
	opts := badger.DefaultOptions()
	opts.ValueLogFileSize = 1 << 20
	s := openTemp(t, opts)
	id := uuid.New()
	created, err := execution.NewEvent(id, execution.EventCreated, nil, execution.Created{Kind: execution.KindFlow})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(context.Background(), []execution.Event{created}, store.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	big, _ := json.Marshal(map[string]string{"text": string(bytes.Repeat([]byte("x"), 2<<20))})
	ev := execution.Event{ID: uuid.New(), ExecutionID: id, EventType: execution.EventProgress, Payload: big}
	_, err = s.Append(context.Background(), []execution.Event{ev}, store.AppendOptions{})
	if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "store.value_log_file_size_mb") ||
		strings.Contains(err.Error(), "\n") || len(err.Error()) > 400 {
		t.Fatalf("err = %.500v; want a one-line ErrInvalid naming store.value_log_file_size_mb", err)
	}
}
