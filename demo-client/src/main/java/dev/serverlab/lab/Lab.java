package dev.serverlab.lab;

import dev.serverlab.lab.console.ExitCode;
import dev.serverlab.lab.console.UserError;

import dev.serverlab.api.ConfigException;
import dev.serverlab.lab.command.BenchCommand;
import dev.serverlab.lab.command.C10kCommand;
import dev.serverlab.lab.command.CompareCommand;
import dev.serverlab.lab.command.EnginesCommand;
import dev.serverlab.lab.command.PollCommand;
import dev.serverlab.lab.command.RunCommand;
import dev.serverlab.lab.command.ServeCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;

/**
 * The {@code ./lab} command line: list the engines, serve one, and run the experiment against it.
 *
 * <p>Exit codes ({@link ExitCode}): 0 success, 1 a request or check failed, 2 bad arguments or configuration,
 * 3 the server could not be started or reached; the {@code ./lab} launcher adds 4 (no JDK 21 or newer found)
 * and 5 (the build failed). {@code --help} lists them.
 */
@Command(name = "lab", mixinStandardHelpOptions = true, versionProvider = Lab.Version.class,
        description = "Serve, run and compare HTTP server engines, one per concurrency model.",
        subcommands = {EnginesCommand.class, ServeCommand.class, RunCommand.class, CompareCommand.class, PollCommand.class,
                BenchCommand.class, C10kCommand.class,
                CommandLine.HelpCommand.class})
public final class Lab {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line with the lab's error handling: a message a person can act on, never a stack trace. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Lab());
        // Every command answers --help and --version, not only the root, and lists its exit codes.
        addHelpOptions(cli);
        cli.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(ExitCode.launcherList());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            if (e instanceof UserError ue) {
                err.println("lab: " + ue.getMessage());
                err.flush();
                return ue.exitCode();
            }
            if (e instanceof ConfigException ce) {
                err.println("lab: " + ce.getMessage());
                err.flush();
                return ExitCode.USAGE;
            }
            err.println("lab: unexpected failure: " + e);
            e.printStackTrace(err);
            err.flush();
            return ExitCode.FAILED;
        });
        cli.setParameterExceptionHandler((e, args) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("lab: " + e.getMessage());
            err.println("Try './lab " + subcommandName(e.getCommandLine()) + "--help' for the options.");
            err.flush();
            return ExitCode.USAGE;
        });
        return cli;
    }

    private static void addHelpOptions(CommandLine cl) {
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (sub.getCommand() instanceof CommandLine.HelpCommand) continue;
            if (!sub.getCommandSpec().mixinStandardHelpOptions()) sub.getCommandSpec().mixinStandardHelpOptions(true);
            sub.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(ExitCode.list());
            addHelpOptions(sub);
        }
    }

    private static String subcommandName(CommandLine cl) {
        return cl.getParent() == null ? "" : cl.getCommandName() + " ";
    }

    /** The project's version, from the serverlab.properties resource the build fills in. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"serverlab lab " + version(),
                    "java " + System.getProperty("java.version") + " at " + System.getProperty("java.home")};
        }
    }

    /** The version Maven wrote into serverlab.properties; a message, not a guess, when the resource is missing or unfiltered. */
    public static String version() {
        Properties p = new Properties();
        try (InputStream in = Lab.class.getResourceAsStream("/serverlab.properties")) {
            if (in != null) p.load(in);
        } catch (IOException e) {
            // reported below as unknown
        }
        String v = p.getProperty("version");
        return v == null || v.startsWith("${") ? "(unknown: serverlab.properties was not built by Maven)" : v;
    }
}
