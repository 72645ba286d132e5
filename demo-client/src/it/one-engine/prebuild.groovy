// Copies the README's MyServer example into this project, so the IT builds exactly what the README shows.
def readme = new File(readmePath).getText('UTF-8')
def block = readme =~ /(?s)<!-- snippet: MyServer -->\s*```java\n(.*?)```/
if (!block.find()) {
    throw new IllegalStateException("README.md has no '<!-- snippet: MyServer -->' java block")
}
def target = new File(basedir, 'src/main/java/com/example/MyServer.java')
target.parentFile.mkdirs()
target.setText(block.group(1), 'UTF-8')
return true
