package vfs

import "golang.org/x/sys/unix"

// DeviceOpener opens a device: it returns the open file of one open(2) of
// a character or block device node, whatever file system holds the node.
type DeviceOpener func(ctx Context, flags uint32) (FileImpl, error)

// deviceKey names a device: its type (TypeCharDev or TypeBlockDev) and
// number (unix.Mkdev(major, minor)).
type deviceKey struct {
	ftype FileType
	rdev  uint64
}

// devices is the device table of a VFS: copied on registration, read
// without a lock on every open of a device node.
type devices = map[deviceKey]DeviceOpener

// RegisterDevice makes open the driver of device rdev of type ftype
// (TypeCharDev or TypeBlockDev): from then on, opening any node of that
// type and number, in any file system (/dev's tmpfs, a tmpfs the
// application made with mknod, a bind mount), opens the device, as Linux
// looks up a driver by the node's numbers. Nodes of unregistered devices
// open with ENXIO.
func (v *VFS) RegisterDevice(ftype FileType, rdev uint64, open DeviceOpener) {
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	next := make(devices)
	if old := v.devices.Load(); old != nil {
		for k, o := range *old {
			next[k] = o
		}
	}
	next[deviceKey{ftype, rdev}] = open
	v.devices.Store(&next)
}

// openDevice opens device node inode of type ftype.
func (v *VFS) openDevice(ctx Context, vd VirtualDentry, ftype FileType, flags uint32) (FileImpl, error) {
	if vd.Mount.opts.NoDev {
		return nil, unix.EACCES
	}
	a, err := vd.Dentry.inode.Stat(ctx)
	if err != nil {
		return nil, err
	}
	table := v.devices.Load()
	if table == nil {
		return nil, unix.ENXIO
	}
	open, ok := (*table)[deviceKey{ftype, a.Rdev}]
	if !ok {
		return nil, unix.ENXIO
	}
	return open(ctx, flags)
}
