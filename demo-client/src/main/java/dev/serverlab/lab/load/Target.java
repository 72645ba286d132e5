package dev.serverlab.lab.load;

import dev.serverlab.lab.console.ExitCode;
import dev.serverlab.lab.console.UserError;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;

/**
 * Where the lab's clients send requests: a host, a port and a default path, from {@code --url} or from a
 * server the lab started.
 */
public record Target(String host, int port, String path) {

    public static Target of(InetSocketAddress address, String path) {
        String host = address.getAddress().isAnyLocalAddress() ? "127.0.0.1" : address.getAddress().getHostAddress();
        return new Target(host, address.getPort(), path);
    }

    /** Parses {@code http://host:port/path}; only plain HTTP is spoken. */
    public static Target parse(String url) {
        URI uri;
        try {
            uri = new URI(url.contains("://") ? url : "http://" + url);
        } catch (URISyntaxException e) {
            throw new UserError(ExitCode.USAGE, "not a URL: '" + url + "' (expected http://HOST:PORT/PATH)");
        }
        if (!"http".equalsIgnoreCase(uri.getScheme())) {
            throw new UserError(ExitCode.USAGE, "only http:// URLs are supported, not '" + url + "'");
        }
        if (uri.getHost() == null) throw new UserError(ExitCode.USAGE, "the URL '" + url + "' has no host");
        int port = uri.getPort() == -1 ? 80 : uri.getPort();
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        if (uri.getRawQuery() != null) path += "?" + uri.getRawQuery();
        return new Target(uri.getHost(), port, path);
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(host, port);
    }

    public Target withPath(String p) {
        return new Target(host, port, p);
    }

    public String url() {
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + path;
    }
}
