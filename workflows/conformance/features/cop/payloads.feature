Feature: Payload limits
  As the platform
  I want every message an instance sends Temporal kept under its size limit
  So that an instance with too much data faults with a clear error instead of being terminated

  Scenario: A response larger than COP reads is a communication error
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: big-response
      version: '1.0.0'
    do:
      - fetch:
          call: http
          with:
            method: get
            endpoint: http://stub.test/big?bytes=1200000
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://serverlessworkflow.io/spec/1.0.0/errors/communication
    title: Response too large
    instance: /do/0/fetch
    """

  Scenario: A response that would grow past the limit once encoded is refused
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: escaped-response
      version: '1.0.0'
    do:
      - fetch:
          call: http
          with:
            method: get
            endpoint: http://stub.test/big?bytes=900000&char=%3C
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://serverlessworkflow.io/spec/1.0.0/errors/communication
    title: Response too large
    instance: /do/0/fetch
    """

  Scenario: A call whose request would be too large faults, and can be caught
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: big-request
      version: '1.0.0'
    do:
      - send:
          try:
            - post:
                call: http
                with:
                  method: post
                  endpoint: http://stub.test/echo
                  body: ${ "x" * 1600000 }
          catch:
            errors:
              with:
                type: https://serverlessworkflow.io/spec/1.0.0/errors/runtime
            as: problem
            do:
              - report:
                  set:
                    title: ${ $problem.title }
                    at: ${ $problem.instance }
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    title: Payload too large
    at: /do/0/send/try/0/post
    """

  Scenario: An output too large to send faults the instance
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: big-output
      version: '1.0.0'
    do:
      - grow:
          set:
            s: ${ "x" * 1600000 }
    """
    When the workflow is executed
    Then the workflow should fault with error:
    """yaml
    type: https://serverlessworkflow.io/spec/1.0.0/errors/runtime
    title: Payload too large
    """
