package dev.serverlab.lab.command;

import dev.serverlab.api.EngineConfig;
import dev.serverlab.api.EngineOption;
import dev.serverlab.api.Engines;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.api.app.Application;
import dev.serverlab.blocking.BlockingEngine;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Engines that exist only in tests, so the lab's fault handling is tried on real child JVMs. They are
 * registered in src/test/fake-engines/META-INF/services, which is not on the test class path (tests that
 * run every engine found must not meet them): {@link ChildLab} runs the lab with it added, and ServerProcess
 * passes that class path on to the servers.
 */
final class TestEngines {

    private TestEngines() {
    }

    /** The blocking engine's server without the fake's options. */
    static RunningServer blocking(EngineConfig config, Application app) throws IOException {
        return new BlockingEngine().start(new EngineConfig(config.host(), config.port(), 0, config.limits(), Map.of(),
                config.accessLog()), app);
    }

    /** Refuses to start, as an engine does when its port is taken or its native library is missing. */
    public static final class Failing implements ServerEngine {
        @Override
        public String name() {
            return "failing-for-tests";
        }

        @Override
        public String description() {
            return "test only: fails to start";
        }

        @Override
        public List<EngineOption> options() {
            return List.of(EngineOption.workers("ignored"));
        }

        @Override
        public RunningServer start(EngineConfig config, Application application) throws IOException {
            Engines.configure(this, config);
            throw new IOException("simulated start failure");
        }
    }

    /** Starts, then its whole JVM dies on the first request, as a crashing server does. */
    public static final class Crashing implements ServerEngine {
        @Override
        public String name() {
            return "crashing-for-tests";
        }

        @Override
        public String description() {
            return "test only: the process dies on the first request";
        }

        @Override
        public List<EngineOption> options() {
            return List.of(EngineOption.workers("ignored"));
        }

        @Override
        public RunningServer start(EngineConfig config, Application application) throws IOException {
            return blocking(Engines.configure(this, config), request -> {
                Runtime.getRuntime().halt(70);
                return null;
            });
        }
    }

    /** Accepts connections and never answers, as a stuck server does; closing it is quick. */
    public static final class Hanging implements ServerEngine {
        @Override
        public String name() {
            return "hanging-for-tests";
        }

        @Override
        public String description() {
            return "test only: accepts connections, never answers";
        }

        @Override
        public RunningServer start(EngineConfig config, Application application) throws IOException {
            EngineConfig checked = Engines.configure(this, config);
            ServerSocket listener = new ServerSocket();
            listener.bind(new InetSocketAddress(checked.host(), checked.port()));
            List<Socket> held = new CopyOnWriteArrayList<>();
            Thread.ofPlatform().daemon().name("hanging-accept").start(() -> {
                try {
                    while (true) held.add(listener.accept());
                } catch (IOException closed) {
                    // closed: stop accepting
                }
            });
            return new RunningServer() {
                @Override
                public InetSocketAddress address() {
                    return (InetSocketAddress) listener.getLocalSocketAddress();
                }

                @Override
                public void close() {
                    try {
                        listener.close();
                        for (Socket s : held) s.close();
                    } catch (IOException ignored) {
                        // best effort: the process exits next
                    }
                }
            };
        }
    }

    /** The blocking engine under a name the lab does not know and no options: an unknown model. */
    public static final class Steady implements ServerEngine {
        @Override
        public String name() {
            return "steady-for-tests";
        }

        @Override
        public String description() {
            return "test only: the blocking engine under another name";
        }

        @Override
        public RunningServer start(EngineConfig config, Application application) throws IOException {
            return blocking(Engines.configure(this, config), application);
        }
    }
}
