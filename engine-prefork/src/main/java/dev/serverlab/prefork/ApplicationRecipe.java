package dev.serverlab.prefork;

import dev.serverlab.api.ConfigException;
import dev.serverlab.api.app.Application;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;

/**
 * How a worker process builds its own copy of the application it serves.
 *
 * <p>An object cannot cross into another JVM, so prefork accepts only applications that a worker can
 * re-create from a name: the experiment's built-in application, or an instance of a public class with a
 * public no-argument constructor, on the class path. Each worker calls that constructor once; state the
 * parent's instance holds is not carried over, and each worker's copy has its own state afterwards.
 * Anything else (a lambda, an anonymous or inner class, an object built with arguments) is refused with
 * a {@link ConfigException} before any process starts.
 *
 * @param name {@value #EXPERIMENT} or the application's binary class name
 */
record ApplicationRecipe(String name) {

    static final String EXPERIMENT = "experiment";

    static ApplicationRecipe of(Application application) {
        if (application == Application.experiment()) return new ApplicationRecipe(EXPERIMENT);
        Class<?> type = application.getClass();
        String problem = problem(type);
        if (problem != null) {
            throw new ConfigException("prefork serves from separate worker processes, and each must create the application itself: "
                    + type.getName() + " " + problem + ". Use Application.experiment(), or an application class that is public, "
                    + "on the class path, with a public no-argument constructor (each worker creates its own instance)");
        }
        return new ApplicationRecipe(type.getName());
    }

    /** Why a worker could not re-create an instance of {@code type}, or null when it can. */
    private static String problem(Class<?> type) {
        if (type.isHidden() || type.isSynthetic()) return "is a lambda or a generated class";
        if (type.isAnonymousClass() || type.isLocalClass()) return "is an anonymous or local class";
        if (!Modifier.isPublic(type.getModifiers())) return "is not public";
        if (type.isMemberClass() && !Modifier.isStatic(type.getModifiers())) return "is an inner class: make it static";
        if (Modifier.isAbstract(type.getModifiers())) return "is abstract";
        try {
            type.getConstructor();
        } catch (NoSuchMethodException e) {
            return "has no public no-argument constructor";
        }
        try {
            // A worker starts with the parent's class path and the system class loader: a class from any
            // other loader (a plugin, a test framework's) would not be the same class there, or not exist.
            if (Class.forName(type.getName(), false, ClassLoader.getSystemClassLoader()) != type) {
                return "comes from a class loader other than the class path's";
            }
        } catch (ClassNotFoundException e) {
            return "is not on the class path";
        }
        return null;
    }

    /** Builds the application in this process: the worker's side. */
    Application create() {
        if (name.equals(EXPERIMENT)) return Application.experiment();
        try {
            Class<?> type = Class.forName(name, true, ClassLoader.getSystemClassLoader());
            Constructor<?> constructor = type.getConstructor();
            if (constructor.newInstance() instanceof Application application) return application;
            throw new ConfigException(name + " is not an Application");
        } catch (InvocationTargetException e) {
            throw new ConfigException("the application's constructor failed: " + e.getCause());
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new ConfigException("cannot create the application " + name + ": " + e);
        }
    }
}
