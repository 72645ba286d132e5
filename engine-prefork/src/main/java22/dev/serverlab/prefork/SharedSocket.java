package dev.serverlab.prefork;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.server.Listener;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.net.BindException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One listening socket for every worker, made with the C library through FFM (JDK 22+), as
 * {@code proc.py} forks after {@code listen()}: all workers block in {@code accept()} on the same
 * queue, so an idle worker always takes the next connection.
 *
 * <p>The JDK gives no public way to hand a socket to a child process, but a child inherits its parent's
 * file descriptor 0 when its stdin is {@code Redirect.INHERIT}. So {@link #spawn} puts the socket on fd 0
 * ({@code dup2}) just for {@code ProcessBuilder.start()}, then puts the parent's own stdin back; the
 * worker finds the socket with {@code System.inheritedChannel()}, the inetd convention. Spawns are
 * serialised, and the parent never accepts on the socket. Linux only (the constants below are Linux's).
 *
 * <p>Loaded by name ({@link WorkerListener#shared}), only on a JDK 22+ runtime: compiled with release 22.
 */
final class SharedSocket implements WorkerListener {

    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_REUSEADDR = 2;
    private static final int EADDRINUSE = 98;
    private static final int EADDRNOTAVAIL = 99;
    private static final int EACCES = 13;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final MethodHandle SOCKET = function("socket", INT, INT, INT, INT);
    private static final MethodHandle SETSOCKOPT = function("setsockopt", INT, INT, INT, INT, ValueLayout.ADDRESS, INT);
    private static final MethodHandle BIND = function("bind", INT, INT, ValueLayout.ADDRESS, INT);
    private static final MethodHandle LISTEN = function("listen", INT, INT, INT);
    private static final MethodHandle GETSOCKNAME = function("getsockname", INT, INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS);
    private static final MethodHandle DUP = function("dup", INT, INT);
    private static final MethodHandle DUP2 = function("dup2", INT, INT, INT);
    private static final MethodHandle CLOSE = LINKER.downcallHandle(LINKER.defaultLookup().find("close").orElseThrow(),
            FunctionDescriptor.of(INT, INT));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(LINKER.defaultLookup().find("strerror").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, INT));

    /** fd 0 is the whole process's: one spawn at a time moves it. Guards {@code closed} too. */
    private static final Object STDIN = new Object();

    private final int fd;
    private final InetSocketAddress address;
    private boolean closed;

    private SharedSocket(int fd, InetSocketAddress address) {
        this.fd = fd;
        this.address = address;
    }

    /** Binds and listens on {@code config}'s address; port 0 picks a free port. */
    static SharedSocket open(EngineConfig config) throws IOException {
        InetSocketAddress wanted = Listener.address(config);
        boolean v4 = wanted.getAddress() instanceof Inet4Address;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int fd = (int) SOCKET.invokeExact(state, v4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (fd < 0) throw new IOException("socket() failed: " + error(state));
            try {
                MemorySegment one = arena.allocateFrom(INT, 1);
                // As every server does: connections of an earlier server in TIME_WAIT do not block the port.
                check((int) SETSOCKOPT.invokeExact(state, fd, SOL_SOCKET, SO_REUSEADDR, one, 4), "setsockopt", state);
                MemorySegment addr = sockaddr(arena, wanted);
                if ((int) BIND.invokeExact(state, fd, addr, (int) addr.byteSize()) < 0) {
                    int errno = (int) ERRNO.get(state, 0L);
                    String why = strerror(errno);
                    if (errno == EADDRINUSE || errno == EADDRNOTAVAIL || errno == EACCES) {
                        throw new Listener.PortInUseException(config.host(), config.port(), new BindException(why));
                    }
                    throw new IOException("bind() failed: " + why);
                }
                check((int) LISTEN.invokeExact(state, fd, Listener.BACKLOG), "listen", state);
                MemorySegment bound = arena.allocate(addr.byteSize());
                MemorySegment length = arena.allocateFrom(INT, (int) addr.byteSize());
                check((int) GETSOCKNAME.invokeExact(state, fd, bound, length), "getsockname", state);
                int port = Short.toUnsignedInt(bound.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 2));
                return new SharedSocket(fd, new InetSocketAddress(wanted.getAddress(), port));
            } catch (IOException | RuntimeException | Error e) {
                closeQuietly(fd);
                throw e;
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IOException("cannot create the shared listening socket: " + e, e);
        }
    }

    @Override
    public InetSocketAddress address() {
        return address;
    }

    @Override
    public EngineConfig.Listen workerListen() {
        return EngineConfig.Listen.INHERITED;
    }

    /** Starts {@code worker} with the listening socket as its standard input, then restores this JVM's own. */
    @Override
    public Process spawn(ProcessBuilder worker) throws IOException {
        worker.redirectInput(ProcessBuilder.Redirect.INHERIT);
        synchronized (STDIN) {
            if (closed) throw new IOException("the shared listening socket is closed");
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment state = arena.allocate(CALL_STATE);
                int saved = (int) DUP.invokeExact(state, 0);   // -1 when this JVM runs with fd 0 closed
                check((int) DUP2.invokeExact(state, fd, 0), "dup2", state);
                try {
                    return worker.start();
                } finally {
                    if (saved >= 0) {
                        int restored = (int) DUP2.invokeExact(state, saved, 0);
                        closeQuietly(saved);
                        if (restored < 0) throw new IOException("could not restore standard input: " + error(state));
                    } else {
                        closeQuietly(0);
                    }
                }
            } catch (IOException | RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IOException("cannot start a worker on the shared socket: " + e, e);
            }
        }
    }

    /** Closes the parent's descriptor; the socket stops listening once the last worker has closed its own. */
    @Override
    public void close() {
        synchronized (STDIN) {   // not while a spawn is handing it on
            if (closed) return;
            closed = true;
            closeQuietly(fd);
        }
    }

    private static MemorySegment sockaddr(Arena arena, InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        boolean v4 = ip instanceof Inet4Address;
        ByteBuffer b = ByteBuffer.allocate(v4 ? 16 : 28);
        b.order(ByteOrder.nativeOrder()).putShort((short) (v4 ? AF_INET : AF_INET6));
        b.order(ByteOrder.BIG_ENDIAN).putShort((short) address.getPort());
        if (v4) {
            b.put(ip.getAddress());
        } else {
            b.putInt(0).put(ip.getAddress());   // flow info, then the address; scope id 0
        }
        return arena.allocate(b.capacity()).copyFrom(MemorySegment.ofArray(b.array()));
    }

    private static void check(int result, String call, MemorySegment state) throws IOException {
        if (result < 0) throw new IOException(call + "() failed: " + error(state));
    }

    private static String error(MemorySegment state) {
        return strerror((int) ERRNO.get(state, 0L));
    }

    private static String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            return text.reinterpret(256).getString(0) + " (errno " + errno + ")";
        } catch (Throwable e) {
            return "errno " + errno;
        }
    }

    private static void closeQuietly(int fd) {
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable ignored) {
            // nothing more to release
        }
    }

    /** A C function that also hands back errno: its first argument is the call-state segment. */
    private static MethodHandle function(String name, ValueLayout.OfInt result, MemoryLayout... arguments) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(),
                FunctionDescriptor.of(result, arguments), Linker.Option.captureCallState("errno"));
    }
}
