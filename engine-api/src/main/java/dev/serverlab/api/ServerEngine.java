package dev.serverlab.api;

import dev.serverlab.api.app.Application;

import java.io.IOException;
import java.util.List;

/**
 * A server engine: one concurrency model for serving HTTP/1.1.
 *
 * <p>Implementations are found with {@link java.util.ServiceLoader}. Each engine module declares
 * {@code provides dev.serverlab.api.ServerEngine with ...} in its {@code module-info.java} and lists the
 * class in {@code META-INF/services/dev.serverlab.api.ServerEngine}, so discovery works on the module path
 * and on the class path. Use {@link Engines} to find one by name.
 *
 * <p>An implementation must have a public no-argument constructor and be cheap to construct: the
 * lookup instantiates every engine on the class path to read its name.
 */
public interface ServerEngine {

    /** The stable short name users pick the engine by, such as {@code blocking} or {@code netty}. */
    String name();

    /** One line that says how this engine serves requests. */
    String description();

    /**
     * The options this engine understands beyond host and port. {@link EngineOption#WORKERS} is listed
     * when the engine honours {@link EngineConfig#workers()}. Any other option in a config is an error.
     */
    default List<EngineOption> options() {
        return List.of();
    }

    /**
     * Starts serving {@code application} as {@code config} says, and returns once the server is listening.
     *
     * @throws IOException when the address cannot be bound (for example, the port is in use)
     * @throws ConfigException when the config is not valid for this engine
     */
    RunningServer start(EngineConfig config, Application application) throws IOException;
}
