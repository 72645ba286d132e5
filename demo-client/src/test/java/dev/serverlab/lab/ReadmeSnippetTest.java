package dev.serverlab.lab;

import dev.serverlab.api.RunningServer;
import dev.serverlab.api.conformance.RawHttp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's library example is compiled and run here, so it cannot rot. */
class ReadmeSnippetTest {

    @Test
    void theLibraryExampleCompilesAndServes(@TempDir Path dir) throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        Matcher block = Pattern.compile("<!-- snippet: MyServer -->\\s*```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertThat(block.find()).as("README.md has the MyServer example").isTrue();
        Path source = dir.resolve("MyServer.java");
        Files.writeString(source, block.group(1));

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int result = javac.run(null, diagnostics, diagnostics, "--release", "21", "-d", dir.toString(),
                "-cp", System.getProperty("java.class.path"), source.toString());
        assertThat(result).as(diagnostics.toString(StandardCharsets.UTF_8)).isZero();

        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
            Class<?> example = loader.loadClass("MyServer");
            try (RunningServer server = (RunningServer) example.getMethod("start", int.class).invoke(null, 0)) {
                InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.port());
                RawHttp.Reply hello = RawHttp.get(address, "/hello?name=reader");
                assertThat(hello.status()).isEqualTo(200);
                assertThat(hello.text()).isEqualTo("hello, reader\n");
                assertThat(RawHttp.get(address, "/fib/20").text()).isEqualTo("6765\n");
            }
        }
    }
}
