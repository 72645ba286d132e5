package com.example;

import dev.serverlab.api.Engines;
import dev.serverlab.api.RunningServer;
import dev.serverlab.api.ServerEngine;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * Runs the README's {@code MyServer} as a user would and asks it over loopback. Exits 1 with a reason when
 * anything differs: the engine that {@code Engines.discover().select(null)} picked, whether it was loaded
 * as a named module, or the answers.
 */
public final class Check {

    public static void main(String[] args) throws IOException {
        String expected = System.getProperty("expect.engine");
        boolean modulePath = Boolean.getBoolean("expect.modulePath");
        String where = modulePath ? "module path" : "class path";

        ServerEngine engine = Engines.discover().select(null);
        require(engine.name().equals(expected), "select(null) chose '" + engine.name() + "', expected '" + expected + "'");
        Module module = engine.getClass().getModule();
        // On the module path the engine must come from its module's `provides`, not from META-INF/services.
        require(module.isNamed() == modulePath, "engine loaded from " + (module.isNamed() ? module.getName() : "the class path")
                + " on the " + where);

        try (RunningServer server = MyServer.start(0)) {
            String hello = get(server.port(), "/hello?name=reader");
            require(hello.equals("hello, reader\n"), "/hello answered '" + hello + "'");
            String fib = get(server.port(), "/fib/20");
            require(fib.equals("6765\n"), "/fib/20 answered '" + fib + "'");
        }
        System.out.println("one-engine check passed: " + expected + " on the " + where
                + (module.isNamed() ? " (module " + module.getName() + ")" : ""));
    }

    private static String get(int port, String path) throws IOException {
        HttpURLConnection connection = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + path).toURL().openConnection();
        try {
            require(connection.getResponseCode() == 200, path + " answered status " + connection.getResponseCode());
            try (InputStream body = connection.getInputStream()) {
                return new String(body.readAllBytes(), StandardCharsets.UTF_8);
            }
        } finally {
            connection.disconnect();
        }
    }

    private static void require(boolean condition, String failure) {
        if (!condition) {
            System.err.println("one-engine check FAILED: " + failure);
            System.exit(1);
        }
    }
}
