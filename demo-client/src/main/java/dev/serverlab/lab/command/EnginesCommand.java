package dev.serverlab.lab.command;

import dev.serverlab.api.EngineOption;
import dev.serverlab.api.Engines;
import dev.serverlab.api.ServerEngine;
import dev.serverlab.lab.console.ExitCode;
import dev.serverlab.lab.console.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

@Command(name = "engines", description = "List the engines found on the class path, with their options.")
public final class EnginesCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Engines engines = Engines.discover();
        if (engines.all().isEmpty()) throw new UserError(ExitCode.FAILED, "no engines found on the class path");
        int width = engines.names().stream().mapToInt(String::length).max().orElse(8);
        for (ServerEngine engine : engines.all()) {
            out.printf("%-" + width + "s  %s%n", engine.name(), engine.description());
            String options = engine.options().stream().map(o -> "--" + o.name() + suffix(o)).collect(Collectors.joining(" "));
            if (!options.isEmpty()) out.printf("%-" + width + "s  options: %s%n", "", options);
        }
        out.flush();
        return 0;
    }

    private static String suffix(EngineOption o) {
        return switch (o.kind()) {
            case FLAG -> "";
            case COUNT -> " N";
            case DURATION -> " DURATION";
            case CHOICE -> " " + String.join("|", o.choices());
        };
    }
}
