package dev.serverlab.lab.command;

import dev.serverlab.lab.Lab;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs {@code ./lab ARGS} in this JVM and keeps what it printed. */
record LabRun(int exitCode, String out, String err) {

    static LabRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Lab.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new LabRun(code, out.toString(), err.toString());
    }
}
