# hpcexec_add_plugin(<target> SOURCES <src>... [LIBRARIES <lib>...] [NO_INSTALL])
#
# Builds an hpcexec plugin: a MODULE library (loaded with dlopen, never linked) named lib<target>.so, compiled with
# hidden visibility so that only the entry point written by HPCEXEC_PLUGIN is exported, linked to the SDK.
# In-tree it lands in the build's plugin folder (so tests find it without installing) and is installed into the
# install's plugin directory. Out-of-tree, after find_package(hpcexec CONFIG), the same call builds against the
# installed SDK; set the target's LIBRARY_OUTPUT_DIRECTORY or install it where your configuration's plugin_dirs
# points.
function(hpcexec_add_plugin target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "NO_INSTALL" "" "SOURCES;LIBRARIES")
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "hpcexec_add_plugin(${target}): SOURCES is required")
  endif()
  add_library(${target} MODULE ${arg_SOURCES})
  if(TARGET hpcexec::sdk)
    target_link_libraries(${target} PRIVATE hpcexec::sdk ${arg_LIBRARIES})
  else()
    message(FATAL_ERROR "hpcexec_add_plugin(${target}): the hpcexec::sdk target is missing (find_package(hpcexec))")
  endif()
  set_target_properties(${target} PROPERTIES
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    PREFIX "lib")
  # Refuse undefined symbols at link time: a plugin that would fail to dlopen should fail to build.
  target_link_options(${target} PRIVATE "LINKER:--no-undefined")
  if(DEFINED HPCEXEC_BUILD_PLUGIN_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${HPCEXEC_BUILD_PLUGIN_DIR}")
  endif()
  if(NOT arg_NO_INSTALL AND DEFINED HPCEXEC_PLUGIN_INSTALL_DIR)
    install(TARGETS ${target} LIBRARY DESTINATION "${HPCEXEC_PLUGIN_INSTALL_DIR}")
  endif()
endfunction()
