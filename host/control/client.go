package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/control/controlpb"
	"github.com/openoma/openoma/host/identity"
)

// ErrNoDaemon: nothing is serving the control socket; the CLI then runs an
// embedded host.
var ErrNoDaemon = errors.New("no openoma-host daemon is running")

// Client calls a running daemon.
type Client struct {
	conn *grpc.ClientConn
	api  controlpb.ControlClient
}

// Dial connects to the daemon at socket, or returns ErrNoDaemon when no
// daemon is listening there.
func Dial(ctx context.Context, socket string) (*Client, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, "unix", socket)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) {
			return nil, fmt.Errorf("%w (socket %s)", ErrNoDaemon, socket)
		}
		if errors.Is(err, os.ErrPermission) {
			return nil, fmt.Errorf("control socket %s: %w: %s", socket, ErrDenied, socketOwners(socket))
		}
		return nil, fmt.Errorf("control socket %s: %w", socket, err)
	}
	c.Close()
	abs, err := filepath.Abs(socket)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", socket, err)
	}
	// "unix://" + an absolute path: a relative one would be read as an
	// authority by gRPC's target parser.
	conn, err := grpc.NewClient("unix://"+abs,
		grpc.WithTransportCredentials(clientCreds{}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", socket, err)
	}
	return &Client{conn: conn, api: controlpb.NewControlClient(conn)}, nil
}

// Close releases the connection.
func (c *Client) Close() error { return c.conn.Close() }

// fromStatus maps gRPC codes back onto the package's errors.
func fromStatus(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	var base error
	switch st.Code() {
	case codes.NotFound:
		base = ErrNotFound
	case codes.InvalidArgument:
		base = ErrInvalid
	case codes.PermissionDenied, codes.Unauthenticated:
		base = ErrDenied
	case codes.FailedPrecondition:
		base = ErrUnavailable
	case codes.Canceled:
		base = context.Canceled
	case codes.Unavailable:
		base = ErrNoDaemon
	default:
		return errors.New(st.Message())
	}
	return &remoteError{msg: st.Message(), base: base}
}

// remoteError is an error the daemon sent: its text as the daemon wrote it
// (which already names the kind of failure), matching the package's
// sentinel with errors.Is.
type remoteError struct {
	msg  string
	base error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.base }

// Report is one report message: the execution id, the report as JSON, and
// whether the execution has ended (or, without wait, the only message).
type Report struct {
	ExecutionID string
	JSON        json.RawMessage
	Final       bool
}

// Run starts ref with inputs; onReport is called with the first report and,
// with wait, every change until the execution ends. It returns the last.
func (c *Client) Run(ctx context.Context, ref string, inputs map[string]any, wait bool, onReport func(Report)) (Report, error) {
	in, err := json.Marshal(inputs)
	if err != nil {
		return Report{}, fmt.Errorf("encode inputs: %w", err)
	}
	stream, err := c.api.Run(ctx, &controlpb.RunRequest{Ref: ref, InputsJson: in, Wait: wait})
	if err != nil {
		return Report{}, fromStatus(err)
	}
	var last Report
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return last, nil
		}
		if err != nil {
			return last, fromStatus(err)
		}
		last = Report{ExecutionID: m.ExecutionId, JSON: m.ReportJson, Final: m.Final}
		if onReport != nil {
			onReport(last)
		}
	}
}

// Status returns an execution's report, or recent executions for "".
func (c *Client) Status(ctx context.Context, executionID string) (Report, error) {
	m, err := c.api.Status(ctx, &controlpb.StatusRequest{ExecutionId: executionID})
	if err != nil {
		return Report{}, fromStatus(err)
	}
	return Report{ExecutionID: m.ExecutionId, JSON: m.ReportJson, Final: m.Final}, nil
}

// Signal sends a named signal with outputs to a flow execution (or the
// flow of a block execution) and returns the recorded signal's id.
func (c *Client) Signal(ctx context.Context, executionID, name string, outputs map[string]any) (string, error) {
	raw, err := json.Marshal(outputs)
	if err != nil {
		return "", fmt.Errorf("signal outputs: %w", err)
	}
	m, err := c.api.Signal(ctx, &controlpb.SignalRequest{ExecutionId: executionID, Name: name, OutputsJson: raw})
	if err != nil {
		return "", fromStatus(err)
	}
	return m.SignalId, nil
}

// Recent lists the recent top-level runs that pass f, newest first.
func (c *Client) Recent(ctx context.Context, f RecentFilter) ([]ExecutionSummary, error) {
	req := &controlpb.StatusRequest{State: string(f.State), Name: f.Name, Limit: int32(f.Limit)}
	if !f.Since.IsZero() {
		req.SinceUnixNano = f.Since.UnixNano()
	}
	m, err := c.api.Status(ctx, req)
	if err != nil {
		return nil, fromStatus(err)
	}
	var list []ExecutionSummary
	if err := json.Unmarshal(m.ReportJson, &list); err != nil {
		return nil, fmt.Errorf("decode the list of executions: %w", err)
	}
	return list, nil
}

// Events calls fn for each event of an execution and its descendants.
func (c *Client) Events(ctx context.Context, executionID string, after uint64, follow bool, fn func(execution.Event) error) error {
	stream, err := c.api.Events(ctx, &controlpb.EventsRequest{ExecutionId: executionID, After: after, Follow: follow})
	if err != nil {
		return fromStatus(err)
	}
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fromStatus(err)
		}
		var ev execution.Event
		if err := json.Unmarshal(m.EventJson, &ev); err != nil {
			return fmt.Errorf("decode event: %w", err)
		}
		if err := fn(ev); err != nil {
			return err
		}
	}
}

// Cancel aborts an execution.
func (c *Client) Cancel(ctx context.Context, executionID, reason string) error {
	_, err := c.api.Cancel(ctx, &controlpb.CancelRequest{ExecutionId: executionID, Reason: reason})
	return fromStatus(err)
}

// Backup streams a snapshot of the daemon's event store into w.
func (c *Client) Backup(ctx context.Context, w io.Writer) error {
	stream, err := c.api.Backup(ctx, &controlpb.BackupRequest{})
	if err != nil {
		return fromStatus(err)
	}
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fromStatus(err)
		}
		if _, err := w.Write(m.Data); err != nil {
			return fmt.Errorf("write backup: %w", err)
		}
	}
}

// socketOwners says who a socket's file mode lets in, for a caller it
// kept out.
func socketOwners(socket string) string {
	st, err := os.Stat(socket)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "and it is gone now (the daemon stopped)"
	case errors.Is(err, os.ErrPermission):
		// The socket's directory keeps the caller out: name who it admits.
		if dst, derr := os.Stat(filepath.Dir(socket)); derr == nil {
			return "its directory admits " + admits(dst, 0o010)
		}
		return "its directory is closed to you"
	case err != nil:
		return err.Error()
	}
	return "the socket admits " + admits(st, 0o020)
}

// admits names the owner, root, and the group when groupBit is set in
// the mode of st.
func admits(st os.FileInfo, groupBit os.FileMode) string {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return "others only"
	}
	who := []string{"only its owner " + identity.LookupOSUser(int(sys.Uid), 0, 0).Login}
	if sys.Uid != 0 {
		who = append(who, "root")
	}
	if st.Mode().Perm()&groupBit != 0 {
		if g, err := user.LookupGroupId(strconv.Itoa(int(sys.Gid))); err == nil {
			who = append(who, "members of group "+g.Name)
		}
	}
	return strings.Join(who, ", ") + "; ask its owner to add you to the socket group (control.socket_group)"
}
