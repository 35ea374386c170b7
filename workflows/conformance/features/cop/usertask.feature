Feature: User Task
  As a workflow author
  I want an officer to fill in a form as a step of the workflow
  So that people and systems share one case

  Scenario: A user task outputs what the officer submitted
    Given a workflow with definition:
    """yaml
    document:
      dsl: '1.0.3'
      namespace: cop
      name: review-arrival
      version: '1.0.0'
    do:
      - review:
          call: userTask
          with:
            form: arrival-report
            title: Record the arrival
            candidateGroups: [ role:officer ]
            priority: 2
            reason: Vessel flagged by targeting
            due: PT4H
          output:
            as: '{ port: .data.port, by: .submittedBy }'
      - tell:
          call: notify
          with:
            to: [ role:supervisor ]
            title: Arrival recorded
            body: ${ "Arrival at \(.port) recorded" }
          output:
            as: $input
    """
    And user tasks are completed with:
    """yaml
    arrivalDate: '2026-11-21'
    port: GBDVR
    vessel:
      name: Sea Breeze
    searched: false
    """
    When the workflow is executed
    Then the workflow should complete with output:
    """yaml
    port: GBDVR
    by: local-author
    """
    And a notification titled 'Arrival recorded' should have been sent to 'role:supervisor'
