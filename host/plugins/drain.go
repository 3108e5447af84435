package plugins

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/protobuf/types/known/emptypb"
)

// defaultStopGrace is how long Close waits for a plugin process to stop by
// itself: a little more than the sdk gives an adapter's Shutdown (5 s).
const defaultStopGrace = 6 * time.Second

// controllerShutdown is go-plugin's own "stop serving" call, the one its
// Kill makes, only after closing the broker.
const controllerShutdown = "/plugin.GRPCController/Shutdown"

// drain stops every running plugin process gracefully, before Close takes
// its connection down. go-plugin's Kill closes the host's end of the
// broker first and only then tells the plugin to stop, so a plugin's
// Shutdown, which releases its running blocks (executor_released) through
// the host's store, would find the store gone and log "connection
// refused". Here the plugin is told first, with the broker still open,
// and given StopGrace to exit; Kill then only cleans up.
func (m *Manager) drain() {
	m.draining.Store(true)
	var wg sync.WaitGroup
	for _, name := range m.order {
		p := m.procs[name]
		p.mu.Lock()
		inst := p.cur
		p.mu.Unlock()
		if inst == nil {
			continue
		}
		wg.Go(func() { m.stopGracefully(p.spec.Name, inst) })
	}
	wg.Wait()
}

func (m *Manager) stopGracefully(name string, inst *instance) {
	c, err := inst.client.Client()
	if err != nil {
		return
	}
	gc, ok := c.(*plugin.GRPCClient)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(m.ctx, m.opts.StopGrace)
	defer cancel()
	// The plugin stops its server inside the call, so the call usually
	// fails as the connection drops: what counts is that the process exits.
	_ = gc.Conn.Invoke(ctx, controllerShutdown, &emptypb.Empty{}, &emptypb.Empty{})
	select {
	case <-inst.runner.exited:
	case <-ctx.Done():
		m.log.Warn("plugin did not stop in time; killing it (its running blocks are released when the host next starts)",
			"plugin", name, "pid", inst.id.PID, "waited", m.opts.StopGrace)
	}
}
