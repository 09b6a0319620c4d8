package boot

import (
	"fmt"
	"path"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// defaultDeviceMode is a linux.devices entry's permissions when its
// fileMode is unset.
const defaultDeviceMode = 0o666

// createDevices makes the nodes linux.devices lists, as runc does: each
// with its type, numbers, permissions (not masked by the umask) and
// owner, its parent directories made as needed; a path that already
// exists is left alone. A node whose numbers have no driver in the
// sandbox is there to stat but does not open (ENXIO), as on a host
// without that driver.
func createDevices(ctx vfs.Context, v *vfs.VFS, fsctx *vfs.FSContext, devs []specs.LinuxDevice) error {
	for i, d := range devs {
		field := fmt.Sprintf("linux.devices[%d]", i)
		if !path.IsAbs(d.Path) {
			return fmt.Errorf("%s.path: %q is not an absolute path", field, d.Path)
		}
		var ft vfs.FileType
		switch d.Type {
		case "c", "u":
			ft = vfs.TypeCharDev
		case "b":
			ft = vfs.TypeBlockDev
		case "p":
			ft = vfs.TypeFIFO
		default:
			return fmt.Errorf("%s.type: %q is not c, u, b or p", field, d.Type)
		}
		perm := uint32(defaultDeviceMode)
		if d.FileMode != nil {
			perm = uint32(d.FileMode.Perm())
		}
		if err := mkdirAll(ctx, v, fsctx, path.Dir(d.Path)); err != nil {
			return fmt.Errorf("%s: making %s: %w", field, path.Dir(d.Path), err)
		}
		err := v.MknodAt(ctx, fsctx, fsctx.Root(), d.Path, uint32(ft)|perm, unix.Mkdev(uint32(d.Major), uint32(d.Minor)))
		if err == unix.EEXIST {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: creating %s: %w", field, d.Path, err)
		}
		sa := vfs.SetAttr{Mask: vfs.SetMode | vfs.SetUID | vfs.SetGID, Mode: perm}
		if d.UID != nil {
			sa.UID = *d.UID
		}
		if d.GID != nil {
			sa.GID = *d.GID
		}
		if err := v.SetAttrAt(ctx, fsctx, fsctx.Root(), d.Path, false /* follow */, sa); err != nil {
			return fmt.Errorf("%s: setting the mode and owner of %s: %w", field, d.Path, err)
		}
	}
	return nil
}
